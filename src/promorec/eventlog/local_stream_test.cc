#include "promorec/eventlog/local_stream.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "promorec/base/clock.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::eventlog {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000'000;

class LocalStreamTest : public testing::Test {
 protected:
  LocalStreamTest() : env_(base::NewMemEnv()), clock_(kStart) { Reopen(); }

  void Reopen() {
    stream_.reset();
    store_.reset();
    auto store = LocalStreamStore::Open(*env_, clock_, "/data/streams");
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
  }

  std::shared_ptr<Stream> Create(StreamOptions options = {}) {
    auto stream = store_->CreateStream("clicks", options);
    EXPECT_TRUE(stream) << stream.error().ToString();
    return stream ? *stream : nullptr;
  }

  std::shared_ptr<Stream> OpenClicks() {
    auto stream = store_->OpenStream("clicks");
    EXPECT_TRUE(stream) << stream.error().ToString();
    return stream ? *stream : nullptr;
  }

  static std::vector<PutResult> Put(Stream& stream, const std::vector<std::string>& keys,
                                    const std::string& data_prefix) {
    std::vector<std::string> data;
    for (std::size_t i = 0; i < keys.size(); ++i) data.push_back(data_prefix + std::to_string(i));
    std::vector<PutRecord> records;
    for (std::size_t i = 0; i < keys.size(); ++i) records.push_back({keys[i], data[i], {}});
    auto results = stream.Append(records);
    EXPECT_TRUE(results) << results.error().ToString();
    return results ? *results : std::vector<PutResult>{};
  }

  // Every record of the shard from `from`, read in small batches.
  static std::vector<std::pair<std::uint64_t, std::string>> ReadAll(Stream& stream,
                                                                    std::uint32_t shard,
                                                                    std::uint64_t from = 0) {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    if (from == 0) from = *stream.Resolve(shard, {IteratorType::kTrimHorizon});
    while (true) {
      auto batch = stream.Read(shard, from, ReadLimits{7, 1 << 20});
      EXPECT_TRUE(batch) << batch.error().ToString();
      if (!batch || batch->records.empty()) break;
      for (const RecordView& r : batch->records) out.emplace_back(r.sequence, std::string(r.data));
      from = batch->next_sequence;
    }
    return out;
  }

  std::unique_ptr<base::Env> env_;
  base::FakeClock clock_;
  std::unique_ptr<LocalStreamStore> store_;
  std::shared_ptr<Stream> stream_;
};

TEST_F(LocalStreamTest, RecordsGoToTheShardOwningTheirKeyHash) {
  auto stream = Create();
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("user-" + std::to_string(i));
  const auto results = Put(*stream, keys, "d");
  ASSERT_EQ(results.size(), keys.size());
  std::set<std::uint32_t> used;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(results[i].shard, ShardForHashKey(PartitionKeyHash(keys[i]), 4)) << keys[i];
    used.insert(results[i].shard);
  }
  EXPECT_EQ(used.size(), 4u);
  // An explicit hash key overrides the partition key.
  std::vector<PutRecord> explicit_key = {{"user-0", "x", EndingHashKey(2, 4)}};
  auto put = stream->Append(explicit_key);
  ASSERT_TRUE(put);
  EXPECT_EQ((*put)[0].shard, 2u);
}

TEST_F(LocalStreamTest, SequenceNumbersGrowPerShardAndReadsReturnRecordsInOrder) {
  auto stream = Create(StreamOptions{.shard_count = 1});
  Put(*stream, {"a", "b", "c"}, "first-");
  clock_.Advance(std::chrono::seconds(1));
  const auto second = Put(*stream, {"a", "b"}, "second-");
  EXPECT_EQ(second[0].sequence, 4u);
  EXPECT_EQ(second[1].sequence, 5u);
  const auto all = ReadAll(*stream, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0], (std::pair<std::uint64_t, std::string>{1, "first-0"}));
  EXPECT_EQ(all[4], (std::pair<std::uint64_t, std::string>{5, "second-1"}));
  auto batch = stream->Read(0, 1, ReadLimits{});
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->records[0].partition_key, "a");
  EXPECT_EQ(batch->records[0].arrival_us, kStart);
  EXPECT_EQ(batch->records[3].arrival_us, kStart + 1'000'000);
  EXPECT_EQ(batch->next_sequence, 6u);
  EXPECT_EQ(batch->behind_us, 0);
}

TEST_F(LocalStreamTest, IteratorTypes) {
  auto stream = Create(StreamOptions{.shard_count = 1});
  Put(*stream, {"k", "k", "k"}, "old-");  // 1..3 at kStart
  clock_.Advance(std::chrono::minutes(5));
  Put(*stream, {"k", "k"}, "new-");  // 4..5 at kStart + 5 min
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kTrimHorizon}), 1u);
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kLatest}), 6u);
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kAtSequence, 2}), 2u);
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kAfterSequence, 2}), 3u);
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kAtTimestamp, 0, kStart + 1}), 4u);
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kAtTimestamp, 0, kStart}), 1u);
  EXPECT_EQ(stream->Resolve(0, {IteratorType::kAtTimestamp, 0, kStart + 3'600'000'000}), 6u);
  auto beyond = stream->Resolve(0, {IteratorType::kAtSequence, 99});
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code(), base::Code::kInvalidArgument);
  // LATEST sees only what comes after it.
  const std::uint64_t latest = *stream->Resolve(0, {IteratorType::kLatest});
  EXPECT_TRUE(stream->Read(0, latest, {})->records.empty());
  Put(*stream, {"k"}, "later-");
  auto after = stream->Read(0, latest, {});
  ASSERT_EQ(after->records.size(), 1u);
  EXPECT_EQ(after->records[0].data, "later-0");
}

TEST_F(LocalStreamTest, ReadLimitsByCountAndBytes) {
  auto stream = Create(StreamOptions{.shard_count = 1});
  std::vector<std::string> keys(50, "k");
  Put(*stream, keys, std::string(100, 'x'));
  auto by_count = stream->Read(0, 1, ReadLimits{10, 1 << 20});
  ASSERT_EQ(by_count->records.size(), 10u);
  EXPECT_EQ(by_count->next_sequence, 11u);
  EXPECT_GT(by_count->behind_us, -1);
  auto by_bytes = stream->Read(0, 1, ReadLimits{1000, 500});
  EXPECT_GE(by_bytes->records.size(), 4u);
  EXPECT_LE(by_bytes->records.size(), 6u);
}

TEST_F(LocalStreamTest, ManySegmentsSurviveReopenWithTheirIndexes) {
  auto stream = Create(StreamOptions{.shard_count = 2, .segment_bytes = 64 << 10});
  std::map<std::uint32_t, std::vector<std::pair<std::uint64_t, std::string>>> expected;
  for (int round = 0; round < 60; ++round) {
    std::vector<std::string> keys;
    for (int i = 0; i < 20; ++i) keys.push_back("u" + std::to_string(i));
    const std::string prefix = "r" + std::to_string(round) + "-" + std::string(200, 'p');
    const auto results = Put(*stream, keys, prefix);
    for (std::size_t i = 0; i < results.size(); ++i) {
      expected[results[i].shard].emplace_back(results[i].sequence, prefix + std::to_string(i));
    }
  }
  auto shards = stream->DescribeShards();
  ASSERT_TRUE(shards);
  EXPECT_GT((*shards)[0].segments, 2u);
  stream.reset();
  Reopen();
  stream = OpenClicks();
  EXPECT_TRUE(store_->recovery_report().findings.empty()) << store_->recovery_report().ToText();
  for (std::uint32_t shard = 0; shard < 2; ++shard) {
    EXPECT_EQ(ReadAll(*stream, shard), expected[shard]) << "shard " << shard;
    // Reading from the middle seeks through the index.
    const auto& want = expected[shard];
    const auto from_middle = ReadAll(*stream, shard, want[want.size() / 2].first);
    ASSERT_FALSE(from_middle.empty());
    EXPECT_EQ(from_middle.front(), want[want.size() / 2]);
  }
  // Appends continue after the recovered records.
  const auto more = Put(*stream, {"u0"}, "after-reopen");
  EXPECT_EQ(more[0].sequence, expected[more[0].shard].back().first + 1);
}

TEST_F(LocalStreamTest, CheckpointsAreDurableAndListed) {
  auto stream = Create();
  EXPECT_EQ(*stream->LoadCheckpoint("enricher", 1), std::nullopt);
  ASSERT_TRUE(stream->SaveCheckpoint("enricher", 1, 42));
  ASSERT_TRUE(stream->SaveCheckpoint("enricher", 1, 43));
  ASSERT_TRUE(stream->SaveCheckpoint("lake", 0, 7));
  EXPECT_FALSE(stream->SaveCheckpoint("bad/name", 0, 1));
  EXPECT_FALSE(stream->SaveCheckpoint("enricher", 9, 1));
  stream.reset();
  Reopen();
  stream = OpenClicks();
  EXPECT_EQ(*stream->LoadCheckpoint("enricher", 1), std::optional<std::uint64_t>(43));
  auto listed = stream->ListCheckpoints();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].consumer, "enricher");
  EXPECT_EQ((*listed)[1].sequence, 7u);
}

TEST_F(LocalStreamTest, RetentionByAgeKeepsWhatAConsumerStillNeeds) {
  auto stream = Create(StreamOptions{.shard_count = 1, .segment_bytes = 64 << 10});
  for (int round = 0; round < 40; ++round) {
    Put(*stream, std::vector<std::string>(20, "k"), std::string(300, 'a'));
  }
  const std::uint64_t before = (*stream->DescribeShards())[0].segments;
  ASSERT_GT(before, 3u);
  ASSERT_TRUE(stream->SaveCheckpoint("slow", 0, 30));
  clock_.Advance(std::chrono::hours(25));
  auto kept = stream->EnforceRetention();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->segments_deleted, 0u) << "the consumer is still at sequence 30";
  ASSERT_TRUE(stream->SaveCheckpoint("slow", 0, 100000));
  auto deleted = stream->EnforceRetention();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->segments_deleted, before - 1) << "all sealed segments, not the active one";
  EXPECT_GT(*stream->Resolve(0, {IteratorType::kTrimHorizon}), 1u);
}

TEST_F(LocalStreamTest, SizeLimitDeletesEvenWhatAConsumerNeedsAndCountsIt) {
  StreamOptions options{.shard_count = 1, .segment_bytes = 64 << 10};
  options.retention_bytes = 200 << 10;
  auto stream = Create(options);
  for (int round = 0; round < 60; ++round) {
    Put(*stream, std::vector<std::string>(20, "k"), std::string(400, 'b'));
  }
  ASSERT_TRUE(stream->SaveCheckpoint("slow", 0, 1));
  auto result = stream->EnforceRetention();
  ASSERT_TRUE(result);
  EXPECT_GT(result->segments_deleted, 0u);
  EXPECT_EQ(result->forced_deletions, result->segments_deleted);
  EXPECT_LE((*stream->DescribeShards())[0].bytes, (200u << 10) + (64u << 10) + 32768);
}

TEST_F(LocalStreamTest, StoreCreateOpenListDeleteAndLock) {
  Create();
  EXPECT_EQ(store_->CreateStream("clicks", {}).error().code(), base::Code::kAlreadyExists);
  EXPECT_EQ(store_->OpenStream("nope").error().code(), base::Code::kNotFound);
  EXPECT_FALSE(store_->CreateStream("bad name", {}));
  EXPECT_FALSE(store_->CreateStream("x", StreamOptions{.shard_count = 0}));
  ASSERT_TRUE(store_->CreateStream("decisions", StreamOptions{.shard_count = 2}));
  EXPECT_EQ(store_->ListStreams(), (std::vector<std::string>{"clicks", "decisions"}));
  auto second = LocalStreamStore::Open(*env_, clock_, "/data/streams");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), base::Code::kUnavailable);
  ASSERT_TRUE(store_->DeleteStream("decisions"));
  EXPECT_EQ(store_->ListStreams(), (std::vector<std::string>{"clicks"}));
  EXPECT_EQ(store_->DeleteStream("decisions").error().code(), base::Code::kNotFound);
}

TEST_F(LocalStreamTest, RetentionSettingIsValidatedAndPersisted) {
  auto stream = Create();
  EXPECT_FALSE(stream->SetRetention(kHourMicros));
  ASSERT_TRUE(stream->SetRetention(48 * kHourMicros));
  stream.reset();
  Reopen();
  EXPECT_EQ(OpenClicks()->options().retention_us, 48 * kHourMicros);
}

TEST_F(LocalStreamTest, ConcurrentAppendersGetUniqueSequencesAndNothingIsLost) {
  auto stream = Create(StreamOptions{.shard_count = 2});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stream, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "t" + std::to_string(t);
        const std::string data = key + ":" + std::to_string(i);
        std::vector<PutRecord> one = {{key, data, {}}};
        ASSERT_TRUE(stream->Append(one));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::map<std::string, int> next_counter;
  std::size_t total = 0;
  for (std::uint32_t shard = 0; shard < 2; ++shard) {
    std::uint64_t previous = 0;
    for (const auto& [sequence, data] : ReadAll(*stream, shard)) {
      EXPECT_GT(sequence, previous);
      previous = sequence;
      const auto colon = data.find(':');
      const std::string thread = data.substr(0, colon);
      EXPECT_EQ(std::stoi(data.substr(colon + 1)), next_counter[thread]++) << "order of " << thread;
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(LocalStreamTest, AppendIntoRoutesLikeAppendThroughItsKeyCache) {
  auto four = Create(StreamOptions{.shard_count = 4});
  auto three = store_->CreateStream("other", StreamOptions{.shard_count = 3});
  ASSERT_TRUE(three);
  // Repeated keys (served from the cache after the first time), a key too
  // long to cache, and explicit hash keys, over streams whose shard counts
  // differ (the same key maps to other shards there).
  std::vector<std::string> keys;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) keys.push_back("user-" + std::to_string(i));
  }
  keys.push_back(std::string(200, 'k'));
  keys.push_back(std::string(200, 'k'));
  for (Stream* stream : {four.get(), three->get(), four.get()}) {
    const auto shard_count = stream->options().shard_count;
    std::vector<PutRecord> records;
    for (const std::string& key : keys) records.push_back({key, "d", {}});
    records.push_back({"user-1", "explicit", EndingHashKey(0, shard_count)});
    std::vector<PutResult> results(records.size());
    ASSERT_TRUE(stream->AppendInto(records, results));
    std::map<std::uint32_t, std::uint64_t> last;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const std::uint32_t expected =
          records[i].explicit_hash_key
              ? 0
              : ShardForHashKey(PartitionKeyHash(records[i].partition_key), shard_count);
      EXPECT_EQ(results[i].shard, expected) << records[i].partition_key;
      EXPECT_GT(results[i].sequence, last[expected]) << "input order within a shard";
      last[expected] = results[i].sequence;
    }
  }
  std::vector<PutRecord> one = {{"k", "d", {}}};
  std::vector<PutResult> none;
  const auto mismatch = four->AppendInto(one, none);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), base::Code::kInvalidArgument);
}

TEST_F(LocalStreamTest, FsyncAppendsOverManyShardsFromManyThreads) {
  // Batches that touch every shard commit the shards side by side on the
  // stream's helper threads.
  auto stream = Create(StreamOptions{.shard_count = 4, .durability = Durability::kFsync});
  constexpr int kThreads = 6;
  constexpr int kBatches = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stream, t] {
      std::vector<std::string> keys;
      for (int u = 0; u < 16; ++u) keys.push_back("user-" + std::to_string(u));
      for (int b = 0; b < kBatches; ++b) {
        std::vector<std::string> data;
        for (int u = 0; u < 16; ++u) {
          data.push_back("t" + std::to_string(t) + ":" + std::to_string(b) + ":" +
                         std::to_string(u));
        }
        std::vector<PutRecord> records;
        for (std::size_t u = 0; u < keys.size(); ++u) records.push_back({keys[u], data[u], {}});
        auto results = stream->Append(records);
        ASSERT_TRUE(results) << results.error().ToString();
        for (std::size_t u = 0; u < keys.size(); ++u) {
          EXPECT_EQ((*results)[u].shard, ShardForHashKey(PartitionKeyHash(keys[u]), 4));
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> seen;
  for (std::uint32_t shard = 0; shard < 4; ++shard) {
    for (const auto& [sequence, data] : ReadAll(*stream, shard)) seen.insert(data);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kBatches * 16));
}

TEST_F(LocalStreamTest, BadRecordsAreRefusedWholeBatch) {
  auto stream = Create();
  std::vector<PutRecord> empty_key = {{"ok", "a", {}}, {"", "b", {}}};
  auto refused = stream->Append(empty_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(), "record 1: partition key must be 1 to 256 bytes, got 0");
  EXPECT_EQ((*stream->DescribeShards())[0].records + (*stream->DescribeShards())[1].records +
                (*stream->DescribeShards())[2].records + (*stream->DescribeShards())[3].records,
            0u);
}

TEST_F(LocalStreamTest, WaitForRecordsWakesWhenAnAppendLandsPastThePositions) {
  StreamOptions options;
  options.shard_count = 2;
  options.durability = Durability::kNone;
  auto stream = Create(options);
  const std::vector<std::uint64_t> from_start = {0, 0};
  auto waited = stream->WaitForRecords(from_start, 1000);
  ASSERT_TRUE(waited) << waited.error().ToString();
  EXPECT_FALSE(*waited) << "an empty stream has nothing to wait for";

  const auto put = Put(*stream, {"a"}, "x");
  ASSERT_EQ(put.size(), 1u);
  EXPECT_TRUE(*stream->WaitForRecords(from_start, 0)) << "records already there: no wait";
  std::vector<std::uint64_t> past = {put[0].sequence + 1, put[0].sequence + 1};
  EXPECT_FALSE(*stream->WaitForRecords(past, 1000)) << "nothing past the positions yet";

  // A waiter is woken by an append from another thread well before its
  // (long) timeout.
  std::thread appender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Put(*stream, {"a", "b", "c", "d"}, "y");
  });
  const auto started = std::chrono::steady_clock::now();
  auto woken = stream->WaitForRecords(past, 60'000'000);
  appender.join();
  ASSERT_TRUE(woken) << woken.error().ToString();
  EXPECT_TRUE(*woken);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));

  const std::vector<std::uint64_t> wrong_size = {1};
  EXPECT_FALSE(stream->WaitForRecords(wrong_size, 0));
}

}  // namespace
}  // namespace promorec::eventlog
