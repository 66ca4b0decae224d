// Time as an injected dependency.
//
// Code that stamps events, expires caches or waits between retries takes a
// `Clock&`, so tests drive time with FakeClock instead of sleeping and get
// the same answer on every run.
//
// Thread-safety: RealClock() and FakeClock are safe to use from many threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace promorec::base {

class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock time in microseconds since the Unix epoch (UTC). May jump when
  // the system clock is set; use for timestamps, never for measuring.
  virtual int64_t NowMicros() const = 0;
  // Nanoseconds from an arbitrary fixed origin; never goes backwards. Use for
  // durations and deadlines.
  virtual int64_t MonotonicNanos() const = 0;
  virtual void SleepFor(std::chrono::microseconds duration) = 0;
};

// The system clock. Stateless.
Clock& RealClock();

// A clock that moves only when told to. SleepFor advances it and returns at
// once, so code that waits between retries runs instantly under test.
class FakeClock final : public Clock {
 public:
  // Starts at `now_micros` on the wall clock and 0 on the monotonic clock.
  explicit FakeClock(int64_t now_micros = 0) : now_micros_(now_micros) {}

  int64_t NowMicros() const override { return now_micros_.load(); }
  int64_t MonotonicNanos() const override { return mono_nanos_.load(); }
  void SleepFor(std::chrono::microseconds duration) override { Advance(duration); }

  // Moves both clocks forward. Negative durations are ignored so the
  // monotonic clock stays monotonic.
  void Advance(std::chrono::microseconds duration);
  // Sets the wall clock only, as an administrator changing the system time
  // would; the monotonic clock is unaffected.
  void SetNowMicros(int64_t now_micros) { now_micros_.store(now_micros); }

 private:
  std::atomic<int64_t> now_micros_;
  std::atomic<int64_t> mono_nanos_{0};
};

}  // namespace promorec::base
