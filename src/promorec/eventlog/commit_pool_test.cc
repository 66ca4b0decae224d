#include "promorec/eventlog/commit_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace promorec::eventlog {
namespace {

TEST(CommitPoolTest, EveryTaskRunsOnceAndRunWaitsForAll) {
  CommitPool pool(3);
  for (std::size_t count : {1u, 2u, 4u, 9u}) {
    std::vector<std::atomic<int>> runs(count);
    auto task = [&runs](std::size_t i) { runs[i].fetch_add(1); };
    pool.Run(count, task);
    for (std::size_t i = 0; i < count; ++i) EXPECT_EQ(runs[i].load(), 1) << i << " of " << count;
  }
}

TEST(CommitPoolTest, TasksRunSideBySide) {
  CommitPool pool(3);
  std::mutex mu;
  std::set<std::thread::id> threads;
  // Each task waits for all four to have started: this returns only if the
  // pool's three threads run tasks while the caller runs task 0.
  std::latch all_started(4);
  auto task = [&](std::size_t) {
    all_started.arrive_and_wait();
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
  };
  pool.Run(4, task);
  EXPECT_EQ(threads.size(), 4u);
  EXPECT_TRUE(threads.contains(std::this_thread::get_id())) << "task 0 runs on the caller";
}

TEST(CommitPoolTest, WithoutThreadsTheCallerRunsEverything) {
  CommitPool pool(0);
  std::vector<std::thread::id> ran_on;
  auto task = [&ran_on](std::size_t) { ran_on.push_back(std::this_thread::get_id()); };
  pool.Run(5, task);
  EXPECT_EQ(ran_on, std::vector<std::thread::id>(5, std::this_thread::get_id()));
}

TEST(CommitPoolTest, ManyCallersAtOnce) {
  CommitPool pool(2);
  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&pool, &total] {
      for (int round = 0; round < 200; ++round) {
        std::vector<int> runs(4, 0);
        auto task = [&runs, &total](std::size_t i) {
          ++runs[i];
          total.fetch_add(1);
        };
        pool.Run(runs.size(), task);
        for (const int r : runs) ASSERT_EQ(r, 1);
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(total.load(), 6 * 200 * 4);
}

}  // namespace
}  // namespace promorec::eventlog
