// Damage at rest under a store: flipped bytes in sealed segments, damaged
// segment headers and damaged checkpoints. Reads must never return a
// garbled record, damage must be reported with its file and offset, and
// what recovery cannot read it leaves untouched.

#include "promorec/eventlog/fault_test_util.h"

namespace promorec::eventlog {
namespace {

// Same fixture, its own suite name: gtest keys a suite to one fixture class.
class EventLogDamageTest : public EventLogFaultTest {};

INSTANTIATE_TEST_SUITE_P(Envs, EventLogDamageTest,
                         ::testing::Values(Backing::kMem, Backing::kPosix), BackingName);

TEST_P(EventLogDamageTest, FlippedByteInASealedSegmentIsSkippedAndReported) {
  Create(Options(1, Durability::kFsync, 64 << 10));
  for (std::size_t i = 0; i < 450; ++i) PutOk(Records(0, 1, 200 + (i * 37) % 500));
  Close();
  // Where each record of the first segment lies; the byte to flip is in the
  // payload of the first record starting well into block 1.
  const std::string path = SegmentPath(0, 1);
  auto file = env_.NewRandomAccessFile(path);
  ASSERT_TRUE(file);
  SegmentScanner scanner(**file, kSegmentHeaderBytes, *(*file)->Size());
  ScannedRecord record;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // [offset, end)
  std::vector<std::uint64_t> sequences;
  std::uint64_t flip = 0;
  std::uint64_t hit = 0;
  while (scanner.Next(&record).value_or(false)) {
    spans.emplace_back(record.offset, record.end_offset);
    sequences.push_back(record.fields.sequence);
    if (flip == 0 && record.offset >= kSegmentHeaderBytes + kBlockBytes + 1000) {
      flip = record.offset + kFragmentHeaderBytes + 5;
      hit = record.fields.sequence;
    }
  }
  ASSERT_NE(flip, 0u);
  ASSERT_TRUE(scanner.damages().empty());
  FlipByte(path, static_cast<std::size_t>(flip));
  // Every record wholly outside the damaged block is read back, the one hit
  // is not, and nothing read is garbled.
  const auto expect_only_the_block_lost = [&] {
    const auto read = ReadAndVerify(/*all_acknowledged=*/false);
    const std::uint64_t block = BlockStart(flip);
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (spans[i].second <= block || spans[i].first >= block + kBlockBytes) {
        EXPECT_TRUE(read[0].contains(sequences[i])) << "sequence " << sequences[i];
      }
    }
    EXPECT_FALSE(read[0].contains(hit));
    EXPECT_LT(read[0].size(), acked_.size());
  };

  auto check = CheckStreams(env_, root_);
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_FALSE(check->clean());
  EXPECT_TRUE(HasFinding(*check, FindingKind::kCorruption, path, flip))
      << "flipped @" << flip << "\n"
      << check->ToText();

  // The segment's index is intact, so opening trusts it without reading the
  // segment; reads skip the damaged block.
  Reopen();
  expect_only_the_block_lost();
  PutOk(Records(0, 3, 300));
  EXPECT_EQ(ReadAndVerify(/*all_acknowledged=*/false)[0].rbegin()->first, 453u);

  // Without its index the segment is scanned on open, and the damage is
  // reported there too.
  Close();
  ASSERT_TRUE(env_.RemoveFile(path.substr(0, path.size() - 4) + ".idx"));
  Reopen();
  EXPECT_FALSE(report().clean());
  EXPECT_TRUE(HasFinding(report(), FindingKind::kCorruption, path, flip))
      << "flipped @" << flip << "\n"
      << report().ToText();
  EXPECT_TRUE(HasFinding(report(), FindingKind::kIndexRebuilt)) << report().ToText();
  expect_only_the_block_lost();
}

TEST_P(EventLogDamageTest, SegmentWithADamagedHeaderIsLeftUntouched) {
  Create(Options(1));
  PutOk(Records(0, 10, 100));
  Close();
  const std::string path = SegmentPath(0, 1);
  FlipByte(path, 20);
  const auto damaged = base::ReadFileToString(env_, path);
  ASSERT_TRUE(damaged);
  for (int open = 0; open < 2; ++open) {
    Reopen();
    EXPECT_TRUE(HasFinding(report(), FindingKind::kBadHeader, path)) << report().ToText();
    // Kept byte for byte, so that it can still be repaired by hand.
    EXPECT_EQ(base::ReadFileToString(env_, path).value_or(""), *damaged);
    PutOk(Records(0, 2, 100));
  }
  acked_.erase(acked_.begin(), std::next(acked_.begin(), 10));
  const auto read = ReadAndVerify();
  ASSERT_EQ(read[0].size(), 4u);
  // New records never reuse a number the damaged segment may hold.
  EXPECT_GT(read[0].begin()->first, 10u);
}

TEST_P(EventLogDamageTest, DamagedCheckpointStartsOverAndIsReported) {
  Create(Options(2));
  PutOk(Records(0, 10, 100));
  ASSERT_TRUE(stream_->SaveCheckpoint("etl", 0, 7));
  ASSERT_TRUE(stream_->SaveCheckpoint("etl", 1, 9));
  const std::string path =
      root_ + "/" + std::string(kName) + "/consumers/etl/" + ShardDirName(0) + ".ckpt";
  FlipByte(path, 17);

  const auto load = [&](std::uint32_t shard) {
    auto loaded = stream_->LoadCheckpoint("etl", shard);
    EXPECT_TRUE(loaded) << loaded.error().ToString();
    return loaded.value_or(std::nullopt);
  };
  EXPECT_EQ(load(0), std::nullopt) << "a damaged checkpoint must not be trusted";
  EXPECT_EQ(load(1), 9u);

  auto check = CheckStreams(env_, root_);
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_FALSE(check->clean());
  EXPECT_TRUE(HasFinding(*check, FindingKind::kBadCheckpoint, path)) << check->ToText();

  // A checkpoint that cannot be made durable leaves the old one in place.
  env_.FailSyncs(true);
  EXPECT_FALSE(stream_->SaveCheckpoint("etl", 1, 20));
  env_.FailSyncs(false);
  EXPECT_EQ(load(1), 9u);

  // Saving again repairs it.
  ASSERT_TRUE(stream_->SaveCheckpoint("etl", 0, 8));
  EXPECT_EQ(load(0), 8u);
  ExpectCheckClean();
}

}  // namespace
}  // namespace promorec::eventlog
