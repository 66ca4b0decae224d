#include "promorec/base/clock.h"

#include <thread>

namespace promorec::base {
namespace {

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SleepFor(std::chrono::microseconds duration) override {
    std::this_thread::sleep_for(duration);
  }
};

}  // namespace

Clock& RealClock() {
  static SystemClock clock;
  return clock;
}

void FakeClock::Advance(std::chrono::microseconds duration) {
  const int64_t micros = duration.count();
  if (micros <= 0) return;
  now_micros_.fetch_add(micros);
  mono_nanos_.fetch_add(micros * 1000);
}

}  // namespace promorec::base
