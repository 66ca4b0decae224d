#include "promorec/pipeline/stream_consumer.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::pipeline {
namespace {

// A two-shard stream in memory and a consumer that collects what it reads.
class StreamConsumerTest : public ::testing::Test {
 protected:
  StreamConsumerTest() : env_(base::NewMemEnv()) {
    auto store = eventlog::LocalStreamStore::Open(*env_, clock_, "/data/streams");
    EXPECT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    eventlog::StreamOptions options;
    options.shard_count = 2;
    options.durability = eventlog::Durability::kNone;
    stream_ = *store_->CreateStream("clicks", options);
  }

  std::unique_ptr<StreamConsumer> Consumer(std::vector<std::uint64_t> next = {}) {
    auto consumer = StreamConsumer::Create(
        "test", stream_, std::move(next),
        [this](std::uint32_t shard, const eventlog::ReadBatch& batch) {
          std::lock_guard lock(mu_);
          for (const auto& r : batch.records) {
            seen_.push_back(std::to_string(shard) + ":" + std::string(r.data));
          }
        });
    EXPECT_TRUE(consumer) << consumer.error().ToString();
    return consumer ? std::move(*consumer) : nullptr;
  }

  std::vector<eventlog::PutResult> Put(const std::vector<std::string>& keys) {
    std::vector<eventlog::PutRecord> records;
    for (const auto& key : keys) records.push_back({key, key, {}});
    auto results = stream_->Append(records);
    EXPECT_TRUE(results) << results.error().ToString();
    return *results;
  }

  // The last sequence per shard of `results`.
  static std::vector<std::uint64_t> Last(const std::vector<eventlog::PutResult>& results) {
    std::vector<std::uint64_t> last(2, 0);
    for (const auto& r : results) last[r.shard] = std::max(last[r.shard], r.sequence);
    return last;
  }

  std::vector<std::string> Seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

  std::unique_ptr<base::Env> env_;
  base::FakeClock clock_{1'700'000'000'000'000};
  std::unique_ptr<eventlog::LocalStreamStore> store_;
  std::shared_ptr<eventlog::Stream> stream_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST_F(StreamConsumerTest, CatchUpReadsEverythingOnceAndResumesFromPositions) {
  Put({"a", "b", "c", "d", "e"});
  auto consumer = Consumer();
  ASSERT_TRUE(consumer->CatchUp());
  EXPECT_EQ(Seen().size(), 5u);
  ASSERT_TRUE(consumer->CatchUp());
  EXPECT_EQ(Seen().size(), 5u) << "nothing new, nothing applied again";
  const std::vector<std::uint64_t> positions = consumer->Positions();

  Put({"f", "g"});
  auto resumed = Consumer(positions);
  ASSERT_TRUE(resumed->CatchUp());
  const auto seen = Seen();
  ASSERT_EQ(seen.size(), 7u);
  std::vector<std::string> after = {seen[5].substr(2), seen[6].substr(2)};
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, (std::vector<std::string>{"f", "g"})) << "only what came after the positions";
}

TEST_F(StreamConsumerTest, ARunningConsumerAppliesNewRecordsAndCanBeWaitedFor) {
  auto consumer = Consumer();
  ASSERT_TRUE(consumer->CatchUp());
  consumer->Start();
  const auto results = Put({"a", "b", "c", "d"});
  // The wait is for the records to be applied, however long that takes.
  ASSERT_TRUE(consumer->WaitUntilPast(Last(results), 60'000'000));
  EXPECT_EQ(Seen().size(), 4u);
  const auto more = Put({"e"});
  ASSERT_TRUE(consumer->WaitUntilPast(Last(more), 60'000'000));
  EXPECT_EQ(Seen().size(), 5u);
  consumer->Stop();

  const auto unseen = Put({"f"});
  EXPECT_FALSE(consumer->WaitUntilPast(Last(unseen), 1000)) << "a stopped consumer applies nothing";
  EXPECT_TRUE(consumer->WaitUntilPast(std::vector<std::uint64_t>{0, 0}, 0))
      << "nothing acknowledged: nothing to wait for";
}

// A background consumer that is far behind the stream's newest record reads
// at normal priority until it is close again (where the priority can be
// raised at all; else it only reads everything).
TEST_F(StreamConsumerTest, ABackgroundConsumerFarBehindCatchesUpAtNormalPriority) {
  std::vector<eventlog::PutResult> results;
  for (int i = 0; i < 40; ++i) {
    const auto put = Put({"k" + std::to_string(i)});
    results.insert(results.end(), put.begin(), put.end());
    clock_.Advance(std::chrono::milliseconds(250));  // 10 s of arrivals
  }
  std::vector<int> policies;  // the thread's policy at each batch
  ConsumerOptions options;
  options.limits = eventlog::ReadLimits{1, 1 << 20};  // one record a batch
  options.background = true;
  options.catch_up_behind_us = 2'000'000;
  auto consumer = StreamConsumer::Create(
      "test", stream_, {},
      [this, &policies](std::uint32_t, const eventlog::ReadBatch&) {
        std::lock_guard lock(mu_);
        policies.push_back(sched_getscheduler(0));
      },
      {}, options);
  ASSERT_TRUE(consumer);
  (*consumer)->Start();
  ASSERT_TRUE((*consumer)->WaitUntilPast(Last(results), 60'000'000));
  (*consumer)->Stop();
  std::lock_guard lock(mu_);
  ASSERT_EQ(policies.size(), 40u) << "every record applied";
  if (policies.front() != SCHED_IDLE) GTEST_SKIP() << "no CAP_SYS_NICE: nice 10, never raised";
  EXPECT_NE(std::find(policies.begin(), policies.end(), SCHED_OTHER), policies.end())
      << "raised while more than 2 s behind";
}

TEST_F(StreamConsumerTest, PositionsForAnotherShardCountAreRefused) {
  auto consumer = StreamConsumer::Create("test", stream_, {1, 1, 1},
                                         [](std::uint32_t, const eventlog::ReadBatch&) {});
  ASSERT_FALSE(consumer);
  EXPECT_NE(
      consumer.error().ToString().find("positions for 3 shards of stream clicks, which has 2"),
      std::string::npos)
      << consumer.error().ToString();
}

}  // namespace
}  // namespace promorec::pipeline
