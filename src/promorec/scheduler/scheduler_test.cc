#include "promorec/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace promorec::scheduler {
namespace {

TEST(SchedulerTest, JobsRunWhenTheirIntervalHasPassedOnTheClock) {
  base::FakeClock clock;
  Scheduler scheduler(clock);
  std::vector<std::string> ran;
  scheduler.Add("hourly", std::chrono::hours(1), [&] {
    ran.push_back("hourly");
    return base::OkStatus();
  });
  scheduler.Add("minutely", std::chrono::minutes(1), [&] {
    ran.push_back("minutely");
    return base::OkStatus();
  });
  EXPECT_EQ(scheduler.RunDue(), 0u) << "first run one interval from now";
  clock.Advance(std::chrono::seconds(59));
  EXPECT_EQ(scheduler.RunDue(), 0u);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(scheduler.RunDue(), 1u);
  EXPECT_EQ(scheduler.RunDue(), 0u) << "once per interval";
  clock.Advance(std::chrono::minutes(59));
  EXPECT_EQ(scheduler.RunDue(), 2u) << "both due, in the order they were added";
  EXPECT_EQ(ran, (std::vector<std::string>{"minutely", "hourly", "minutely"}));
  clock.Advance(std::chrono::hours(5));
  EXPECT_EQ(scheduler.RunDue(), 2u) << "missed runs are not made up";
  EXPECT_EQ(scheduler.runs("minutely"), 3u);
  EXPECT_EQ(scheduler.runs("hourly"), 2u);
  EXPECT_EQ(scheduler.runs("nothing"), 0u);
}

TEST(SchedulerTest, AFailingJobIsCountedAndRunsAgain) {
  base::FakeClock clock;
  Scheduler scheduler(clock);
  int calls = 0;
  scheduler.Add("flaky", std::chrono::seconds(10), [&]() -> base::Status {
    ++calls;
    if (calls == 1) return base::IoError("disk on fire");
    if (calls == 2) throw std::runtime_error("worse");
    return base::OkStatus();
  });
  for (int i = 0; i < 3; ++i) {
    clock.Advance(std::chrono::seconds(10));
    scheduler.RunDue();
  }
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(scheduler.runs("flaky"), 3u);
  EXPECT_EQ(scheduler.failures("flaky"), 2u);
}

TEST(SchedulerTest, ItsThreadRunsDueJobsAndStops) {
  base::FakeClock clock;
  Scheduler scheduler(clock, std::chrono::milliseconds(1));
  std::atomic<int> calls{0};
  scheduler.Add("job", std::chrono::seconds(1), [&] {
    ++calls;
    return base::OkStatus();
  });
  scheduler.Start();
  clock.Advance(std::chrono::seconds(1));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (calls == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  scheduler.Stop();
  EXPECT_EQ(calls.load(), 1) << "due once: the clock moved one interval";
}

}  // namespace
}  // namespace promorec::scheduler
