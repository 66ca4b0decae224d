#include "promorec/pipeline/dedup_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "promorec/testing/golden.h"

namespace promorec::pipeline {
namespace {

std::vector<std::uint64_t> Ascending(std::size_t n) {
  std::vector<std::uint64_t> fps;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) fps.push_back(v += 0x9E3779B97ull + i * i);
  return fps;
}

TEST(DedupFormatTest, SegmentFileRoundTripsAcrossBlocks) {
  for (const std::size_t n :
       {std::size_t{1}, std::size_t{4096}, std::size_t{4097}, std::size_t{10000}}) {
    SegmentHeader header;
    header.kind = SegmentKind::kSealed;
    header.shard = 7;
    header.segment_id = 42;
    header.bucket = -3;
    header.home_slots = SealedHomeSlots(n);
    const auto fps = Ascending(n);
    const std::string bytes = EncodeSegmentFile(header, fps);
    EXPECT_EQ(bytes.size(), SegmentFileBytes(n));
    auto decoded = DecodeSegmentFile(bytes, "f");
    ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
    EXPECT_EQ(decoded->fingerprints, fps);
    EXPECT_EQ(decoded->header.count, n);
    EXPECT_EQ(decoded->header.bucket, -3);
    EXPECT_EQ(decoded->header.segment_id, 42u);
  }
}

TEST(DedupFormatTest, DamageInALaterBlockNamesItsOffset) {
  SegmentHeader header;
  header.home_slots = SealedHomeSlots(9000);
  std::string bytes = EncodeSegmentFile(header, Ascending(9000));
  const std::size_t block2 = 64 + 2 * (4096 * 8 + 4);
  bytes[block2 + 17] ^= 4;
  auto decoded = DecodeSegmentFile(bytes, "f");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_TRUE(decoded.error().message().starts_with("f: block 2 at byte " + std::to_string(block2) +
                                                    ": checksum mismatch: stored "))
      << decoded.error().message();
}

Manifest SampleManifest() {
  Manifest m;
  m.checkpoint = 5;
  m.window_us = 3'600'000'000;
  m.bucket_count = 16;
  m.max_bytes = 1 << 30;
  m.shards.resize(2);
  ManifestShard& s = m.shards[1];
  s.has_time = true;
  s.newest_us = 1'600'000'000'000'000;
  s.open_bucket = 1000;
  s.next_segment_id = 9;
  s.duplicates = 3;
  s.recorded = 400;
  s.expired = 100;
  s.open = ManifestSegment{9, 1000, 50, 1024, 1088, 5, 0xabcdef};
  s.sealed.push_back({7, 990, 100, SealedHomeSlots(100), 128, 2, 1});
  s.sealed.push_back({8, 999, 250, SealedHomeSlots(250), 320, 4, 2});
  return m;
}

TEST(DedupFormatTest, ManifestRoundTrips) {
  const Manifest m = SampleManifest();
  const std::string bytes = EncodeManifest(m);
  EXPECT_EQ(bytes.size(), 48 + 2 * 72 + 3 * 56 + 4u);
  auto decoded = DecodeManifest(bytes, "m");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, m);
}

TEST(DedupFormatTest, ManifestChecksRules) {
  auto error = [](const Manifest& m) {
    auto decoded = DecodeManifest(EncodeManifest(m), "m");
    return decoded ? std::string("accepted") : decoded.error().message();
  };
  Manifest m = SampleManifest();
  m.shards[1].sealed[1].bucket = 980;
  EXPECT_EQ(error(m), "m: shard 1 segment 1 at byte 304: bucket 980 is before the one before");
  m = SampleManifest();
  m.shards[1].sealed[0].bucket = 983;
  EXPECT_EQ(error(m),
            "m: shard 1 segment 0 at byte 248: bucket 983 is not within the window of the open "
            "bucket 1000");
  m = SampleManifest();
  m.shards[1].open->segment_id = 8;
  EXPECT_EQ(error(m),
            "m: shard 1 open segment at byte 192: segment id 8 is not the next segment id 9");
  m = SampleManifest();
  m.shards[1].sealed[0].written_by = 6;
  EXPECT_EQ(error(m), "m: shard 1 segment 0 at byte 248: written by checkpoint 6, not in 1..5");
}

TEST(DedupFormatTest, FileNamesRoundTrip) {
  const std::string name = SegmentFileName(3, 42, 7, SegmentKind::kOpen);
  EXPECT_EQ(name, "0003-000000000042-000000000007.open");
  auto parsed = ParseSegmentFileName(name);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->shard, 3u);
  EXPECT_EQ(parsed->segment_id, 42u);
  EXPECT_EQ(parsed->checkpoint, 7u);
  EXPECT_EQ(parsed->kind, SegmentKind::kOpen);
  EXPECT_FALSE(parsed->temporary);
  parsed = ParseSegmentFileName("0003-000000000042-000000000007.sealed.tmp");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->temporary);
  EXPECT_EQ(parsed->kind, SegmentKind::kSealed);
  for (const char* other :
       {"notes.txt", "3-42-7.open", "0003-000000000042.open", "0003-00000000004x-000000000007.open",
        "0003-000000000042-7.sealed", "9999-000000000042-000000000007.open"}) {
    EXPECT_FALSE(ParseSegmentFileName(other).has_value()) << other;
  }
}

std::string Describe(const std::string& bytes, const std::string& suffix) {
  if (suffix == ".dds") {
    auto decoded = DecodeSegmentFile(bytes, "input");
    if (!decoded) return decoded.error().ToString() + "\n";
    return "accepted " + std::to_string(decoded->fingerprints.size()) + " fingerprints\n";
  }
  auto decoded = DecodeManifest(bytes, "input");
  if (!decoded) return decoded.error().ToString() + "\n";
  return "accepted checkpoint " + std::to_string(decoded->checkpoint) + ", " +
         std::to_string(decoded->shards.size()) + " shards\n";
}

// Every file under tests/corpus/dedup/ gives exactly the message in the
// .expected file beside it (the valid ones are accepted).
TEST(DedupFormatTest, BadInputCorpus) {
  const std::string dir = PROMOREC_SOURCE_DIR "/tests/corpus/dedup";
  for (const std::string suffix : {".dds", ".ddm"}) {
    EXPECT_GE(testing::CheckCorpus(
                  dir, suffix, [&](const std::string& bytes) { return Describe(bytes, suffix); }),
              8)
        << suffix;
  }
}

}  // namespace
}  // namespace promorec::pipeline
