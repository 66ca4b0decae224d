// Storage faults injected under a store through FaultInjectionEnv: failed
// fsyncs, torn writes, a full disk, failing writes, power cuts, flipped bits
// in segments, damaged segment headers and damaged checkpoints. Each test checks the promise that
// matters: an append is acknowledged only when durable, a shard that hit an
// I/O error stops taking appends until reopened, recovery keeps every
// acknowledged record, and no read ever returns a partial or garbled record.
// Runs over the in-memory Env and over the POSIX Env in a temporary folder.

#include "promorec/eventlog/fault_test_util.h"

namespace promorec::eventlog {
namespace {

INSTANTIATE_TEST_SUITE_P(Envs, EventLogFaultTest, ::testing::Values(Backing::kMem, Backing::kPosix),
                         BackingName);

TEST_P(EventLogFaultTest, FailedFsyncOrWriteFailsTheAppendAndFencesTheShardUntilReopen) {
  Create(Options(2));
  PutOk(Records(0, 20, 300));
  PutOk(Records(1, 20, 300));

  env_.FailSyncs(true);
  PutFails(Records(0, 5, 300), base::Code::kIoError, "injected fsync failure");

  // The disk works again, but the shard cannot know what reached it.
  env_.FailSyncs(false);
  PutFails(Records(0, 1, 300), base::Code::kFailedPrecondition, "reopen");
  // The other shard did not fail and keeps working.
  PutOk(Records(1, 3, 300));
  EXPECT_TRUE(Shards()[0].failed);
  EXPECT_FALSE(Shards()[1].failed);
  // What was never made durable is not visible before the reopen either.
  EXPECT_EQ(Shards()[0].last_sequence, 20u);
  EXPECT_EQ(ReadAndVerify()[0].size(), 20u);

  Reopen();
  EXPECT_FALSE(Shards()[0].failed);
  PutOk(Records(0, 4, 300));
  const auto read = ReadAndVerify();
  // The 20 acknowledged, maybe the 5 unsynced ones (at-least-once), the 4 new.
  EXPECT_TRUE(read[0].size() == 24 || read[0].size() == 29) << read[0].size();
  EXPECT_EQ(read[1].size(), 23u);
  ExpectCheckClean();

  // A failed write fences the shard the same way, and leaves nothing behind.
  env_.FailWritesAfter(0);
  PutFails(Records(1, 3, 300), base::Code::kIoError, "injected write failure");
  env_.ClearFaults();
  PutFails(Records(1, 1, 300), base::Code::kFailedPrecondition, "reopen");
  Reopen();
  EXPECT_TRUE(report().findings.empty()) << report().ToText();
  PutOk(Records(1, 2, 300));
  EXPECT_EQ(ReadAndVerify()[1].rbegin()->first, 25u);
}

TEST_P(EventLogFaultTest, AppendersQueuedBehindAFailedFsyncAreRefused) {
  // Eight appenders keep the shard's queue full. Fsyncs fail from the 200th
  // acknowledged record until the first append reports the failure; the
  // appenders queued behind it may not write after it: the shard no longer
  // knows where its file ends. Timing decides who is queued, so five rounds.
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    UseFreshStore("round" + std::to_string(round));
    Create(Options(1));
    std::atomic<bool> armed{false};
    std::vector<std::thread> writers;
    for (std::uint64_t t = 0; t < 8; ++t) {
      writers.emplace_back([this, t, &armed] {
        std::mt19937_64 rng(77 + t);
        while (Put(Records(0, 1 + rng() % 4, 50 + rng() % 400))) {
          if (acked_count() >= 200 && !armed.exchange(true)) env_.FailSyncs(true);
        }
        env_.FailSyncs(false);
      });
    }
    for (std::thread& w : writers) w.join();
    PutFails(Records(0, 1, 100), base::Code::kFailedPrecondition, "reopen");
    Reopen();
    for (const Finding& f : report().findings) {
      EXPECT_TRUE(!f.is_damage() || f.kind == FindingKind::kTornTail) << report().ToText();
    }
    ReadAndVerify();
    ExpectCheckClean();
  }
}

TEST_P(EventLogFaultTest, FailedIntervalSyncFencesTheShard) {
  StreamOptions options = Options(1, Durability::kInterval);
  options.sync_interval_ms = 100;
  Create(options);
  auto& local = dynamic_cast<LocalStream&>(*stream_);
  PutOk(Records(0, 10, 200));
  const std::uint64_t syncs = env_.syncs();
  local.SyncDueShards();
  EXPECT_EQ(env_.syncs(), syncs) << "the interval has not passed";
  clock_.Advance(std::chrono::milliseconds(100));
  local.SyncDueShards();
  EXPECT_EQ(env_.syncs(), syncs + 1) << "synced once the interval passed on the clock";
  EXPECT_FALSE(Shards()[0].failed) << "a sync that works";
  env_.FailSyncs(true);
  // Acknowledged after the write; the sync that follows fails, once its
  // interval has passed on the stream's clock.
  PutOk(Records(0, 1, 200));
  clock_.Advance(std::chrono::milliseconds(50));
  local.SyncDueShards();
  EXPECT_FALSE(Shards()[0].failed) << "not due yet";
  clock_.Advance(std::chrono::milliseconds(50));
  local.SyncDueShards();
  ASSERT_TRUE(Shards()[0].failed) << "the interval sync failed and fenced the shard";
  env_.FailSyncs(false);
  PutFails(Records(0, 1, 200), base::Code::kFailedPrecondition, "reopen");
  Reopen();
  PutOk(Records(0, 2, 200));
  EXPECT_EQ(ReadAndVerify()[0].size(), 13u);
}

TEST_P(EventLogFaultTest, TornWritesAreTruncatedOnReopen) {
  // Cuts inside a fragment header, right after it, inside the payload, and
  // after the complete FIRST fragment of a record that spans blocks.
  for (const std::size_t cut : {3u, 7u, 500u, 40'000u}) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    UseFreshStore("cut" + std::to_string(cut));
    Create(Options(1));
    // Varied sizes so that the acknowledged data ends mid-block.
    for (std::size_t i = 0; i < 30; ++i) PutOk(Records(0, 1, 50 + (i * 7919) % 5000));
    PutOk(Records(0, 1, 70'000));
    env_.SetShortWrite(cut);
    PutFails({{0, 100'000}, {0, 100}}, base::Code::kIoError, "short write");
    EXPECT_EQ(Shards()[0].last_sequence, 31u);

    Reopen();
    const RecoveryReport found = report();
    EXPECT_TRUE(HasFinding(found, FindingKind::kTornTail)) << found.ToText();
    for (const Finding& f : found.findings) {
      EXPECT_TRUE(!f.is_damage() || f.kind == FindingKind::kTornTail) << found.ToText();
    }
    EXPECT_EQ(CountRead(ReadAndVerify()), 31u);
    // New appends continue right after the acknowledged records.
    PutOk(Records(0, 3, 1000));
    const auto read = ReadAndVerify();
    EXPECT_EQ(read[0].size(), 34u);
    EXPECT_EQ(read[0].rbegin()->first, 34u);
    ExpectCheckClean();
  }
}

TEST_P(EventLogFaultTest, FullDiskFailsWithNoSpaceAndLosesNothing) {
  Create(Options(2));
  std::vector<Spec> both = Records(0, 15, 2000);
  for (const Spec& spec : Records(1, 15, 2000)) both.push_back(spec);
  PutOk(both);

  env_.SetSpaceLimit(env_.bytes_appended() + 1000);
  PutFails(both, base::Code::kNoSpace);
  EXPECT_EQ(CountRead(ReadAndVerify()), 30u);

  // A restart on a still-full disk recovers, and appends fail cleanly.
  Reopen();
  EXPECT_TRUE(HasFinding(report(), FindingKind::kTornTail)) << report().ToText();
  PutFails(Records(1, 1, 2000), base::Code::kNoSpace);

  env_.ClearFaults();
  Reopen();
  EXPECT_TRUE(report().clean()) << report().ToText();
  EXPECT_EQ(CountRead(ReadAndVerify()), 30u);
  PutOk(Records(0, 2, 100));
  PutOk(Records(1, 2, 100));
  EXPECT_EQ(CountRead(ReadAndVerify()), 34u);
  ExpectCheckClean();
}

TEST_P(EventLogFaultTest, FullDiskWhileRollingASegmentIsRecovered) {
  Create(Options(1, Durability::kFsync, 64 << 10));
  // Fill the first segment to its size: the next append seals it, writes its
  // index and starts a new segment.
  while (Shards()[0].bytes < (64u << 10)) PutOk(Records(0, 1, 1500));
  const std::size_t acknowledged = acked_.size();
  // Room for the index (two or three entries: at most 116 bytes) but not for
  // the new segment's 64-byte header.
  env_.SetSpaceLimit(env_.bytes_appended() + 126);
  PutFails(Records(0, 1, 100), base::Code::kNoSpace);

  env_.ClearFaults();
  Reopen();
  EXPECT_TRUE(HasFinding(report(), FindingKind::kRemovedEmpty)) << report().ToText();
  EXPECT_TRUE(report().clean()) << report().ToText();
  EXPECT_EQ(CountRead(ReadAndVerify()), acknowledged);
  PutOk(Records(0, 5, 1500));
  EXPECT_EQ(CountRead(ReadAndVerify()), acknowledged + 5);
  EXPECT_EQ(Shards()[0].segments, 2u);
  ExpectCheckClean();
}

TEST_P(EventLogFaultTest, PowerCutInFsyncModeKeepsEveryAcknowledgedRecord) {
  Create(Options(4, Durability::kFsync, 64 << 10));
  // Four appenders; after 150 acknowledged batches every fsync starts to
  // fail, so the batches in flight at the cut are written but not durable.
  std::atomic<int> batches{0};
  std::vector<std::thread> writers;
  for (std::uint64_t t = 0; t < 4; ++t) {
    writers.emplace_back([this, t, &batches] {
      std::mt19937_64 rng(1234 + t);
      while (true) {
        std::vector<Spec> specs;
        for (std::uint64_t n = 1 + rng() % 16; n > 0; --n) {
          specs.push_back({static_cast<std::uint32_t>(rng() % 4), 10 + rng() % 3000});
        }
        if (!Put(specs)) return;
        if (batches.fetch_add(1) + 1 == 150) env_.FailSyncs(true);
      }
    });
  }
  for (std::thread& w : writers) w.join();
  ASSERT_GE(batches.load(), 150);
  ASSERT_TRUE(env_.DropUnsyncedData());
  Close();
  env_.ClearFaults();

  Reopen();
  EXPECT_TRUE(report().clean()) << report().ToText();
  const auto read = ReadAndVerify();
  EXPECT_GE(CountRead(read), acked_.size());
  PutOk(Records(3, 3, 100));
  ReadAndVerify();
  ExpectCheckClean();
}

TEST_P(EventLogFaultTest, ExplicitSyncMakesEverythingWrittenSurviveAPowerCut) {
  for (const Durability mode : {Durability::kInterval, Durability::kNone}) {
    SCOPED_TRACE(std::string(DurabilityName(mode)));
    UseFreshStore(std::string(DurabilityName(mode)));
    StreamOptions options = Options(2, mode);
    options.sync_interval_ms = 60'000;  // the interval never passes here
    Create(options);
    for (std::size_t i = 0; i < 40; ++i) PutOk({{0, 300 + i}, {1, 500 + i}});
    const std::uint64_t syncs = env_.syncs();
    ASSERT_TRUE(stream_->Sync());
    EXPECT_EQ(env_.syncs(), syncs + 2) << "one sync per shard written to";
    ASSERT_TRUE(stream_->Sync());
    EXPECT_EQ(env_.syncs(), syncs + 2) << "nothing new: no sync";
    // Written after the sync: may be lost.
    PutOk({{0, 100}, {1, 100}});
    ASSERT_TRUE(env_.DropUnsyncedData());
    Close();
    Reopen();
    const auto read = ReadAndVerify(/*all_acknowledged=*/false);
    for (std::uint32_t shard = 0; shard < 2; ++shard) {
      EXPECT_GE(read[shard].size(), 40u) << "everything before the sync survived";
      EXPECT_LE(read[shard].size(), 41u);
    }
    // A failed explicit sync fences the shard, as a failed interval sync does.
    env_.ClearFaults();
    PutOk({{0, 100}});
    env_.FailSyncs(true);
    const auto failed = stream_->Sync();
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code(), base::Code::kIoError);
    env_.FailSyncs(false);
    PutFails(Records(0, 1, 100), base::Code::kFailedPrecondition, "reopen");
    EXPECT_FALSE(stream_->Sync()) << "a fenced shard reports its failure";
    Close();
  }
}

TEST_P(EventLogFaultTest, PowerCutInNoneModeLosesOnlyTheUnsyncedTail) {
  Create(Options(2, Durability::kNone, 64 << 10));
  for (std::size_t i = 0; i < 120; ++i) {
    PutOk({{0, 1000 + (i * 13) % 2000}, {1, 1000 + (i * 29) % 2000}});
  }
  ASSERT_TRUE(env_.DropUnsyncedData());
  Close();

  Reopen();
  EXPECT_TRUE(report().clean()) << report().ToText();
  const auto read = ReadAndVerify(/*all_acknowledged=*/false);
  for (std::uint32_t shard = 0; shard < 2; ++shard) {
    SCOPED_TRACE("shard " + std::to_string(shard));
    // Sealed segments were synced when sealed; the active one was not.
    ASSERT_FALSE(read[shard].empty());
    EXPECT_LT(read[shard].size(), 120u);
    // What survives is a prefix: nothing after a gap.
    EXPECT_EQ(read[shard].rbegin()->first, read[shard].size());
  }
  ExpectCheckClean();
  // The lost tail's sequence numbers are given out again.
  std::erase_if(acked_, [&](const auto& entry) {
    return !read[entry.first.first].contains(entry.first.second);
  });
  PutOk(Records(0, 2, 500));
  const auto after = ReadAndVerify();
  EXPECT_EQ(after[0].rbegin()->first, read[0].size() + 2);
}

}  // namespace
}  // namespace promorec::eventlog
