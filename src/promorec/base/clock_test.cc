#include "promorec/base/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace promorec::base {
namespace {

using std::chrono::microseconds;

TEST(RealClockTest, WallClockIsNearSystemTime) {
  const int64_t system_now =
      std::chrono::duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t now = RealClock().NowMicros();
  // 2020-01-01 in µs: catches a wrong unit (ms or ns) or a wrong epoch.
  EXPECT_GT(now, int64_t{1'577'836'800'000'000});
  EXPECT_NEAR(static_cast<double>(now), static_cast<double>(system_now), 5e6);
}

TEST(RealClockTest, SleepForWaitsAtLeastTheDuration) {
  Clock& clock = RealClock();
  const int64_t start = clock.MonotonicNanos();
  clock.SleepFor(microseconds(2000));
  const int64_t elapsed = clock.MonotonicNanos() - start;
  EXPECT_GE(elapsed, 2'000'000);
}

TEST(FakeClockTest, StartsWhereToldAndAdvancesBothClocks) {
  FakeClock clock(1'000'000);
  EXPECT_EQ(clock.NowMicros(), 1'000'000);
  EXPECT_EQ(clock.MonotonicNanos(), 0);
  clock.Advance(microseconds(250));
  EXPECT_EQ(clock.NowMicros(), 1'000'250);
  EXPECT_EQ(clock.MonotonicNanos(), 250'000);
}

TEST(FakeClockTest, SleepForAdvancesInsteadOfSleeping) {
  FakeClock clock;
  const auto real_start = std::chrono::steady_clock::now();
  clock.SleepFor(std::chrono::hours(1));
  EXPECT_EQ(clock.NowMicros(), int64_t{3'600'000'000});
  EXPECT_EQ(clock.MonotonicNanos(), int64_t{3'600'000'000'000});
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, std::chrono::seconds(10));
}

TEST(FakeClockTest, SettingWallClockLeavesMonotonicAlone) {
  FakeClock clock(500);
  clock.Advance(microseconds(10));
  clock.SetNowMicros(100);
  EXPECT_EQ(clock.NowMicros(), 100);
  EXPECT_EQ(clock.MonotonicNanos(), 10'000);
}

TEST(FakeClockTest, NegativeAdvanceIsIgnored) {
  FakeClock clock(500);
  clock.Advance(microseconds(-100));
  EXPECT_EQ(clock.NowMicros(), 500);
  EXPECT_EQ(clock.MonotonicNanos(), 0);
}

TEST(FakeClockTest, ConcurrentAdvancesAreNotLost) {
  FakeClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) clock.SleepFor(microseconds(1));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(clock.NowMicros(), 40000);
  EXPECT_EQ(clock.MonotonicNanos(), 40'000'000);
}

}  // namespace
}  // namespace promorec::base
