#include "promorec/eventlog/segment_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "promorec/base/crc32c.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/segment_index.h"
#include "promorec/eventlog/segment_test_util.h"
#include "promorec/testing/golden.h"

namespace promorec::eventlog {
namespace {

using testing::ScanBytes;
using testing::ScanFile;
using testing::ScanResult;
using testing::SegmentBuilder;
using testing::StringFile;
using testing::TestRecord;

// ~250 records in group commits of 1..8, up to 200 KiB each: many blocks,
// records starting mid-block, spanning several blocks, and padded tails.
SegmentBuilder RandomSegment(std::uint64_t seed, int records = 250) {
  std::mt19937_64 rng(seed);
  SegmentBuilder builder;
  std::uint64_t sequence = 1;
  std::int64_t arrival = 1'700'000'000'000'000;
  while (sequence <= static_cast<std::uint64_t>(records)) {
    std::vector<TestRecord> group;
    for (std::uint64_t n = 1 + rng() % 8; n > 0; --n) {
      arrival += static_cast<std::int64_t>(rng() % 3);  // equal times happen
      group.push_back(testing::RandomRecord(rng, sequence, arrival, 200 * 1024));
      sequence += rng() % 10 == 0 ? 2u : 1u;  // gaps are allowed
    }
    builder.AppendGroup(std::move(group));
  }
  return builder;
}

// The records of `all` that do not overlap [from, to).
std::vector<TestRecord> Outside(const std::vector<TestRecord>& all, std::uint64_t from,
                                std::uint64_t to) {
  std::vector<TestRecord> out;
  for (const TestRecord& r : all) {
    if (r.end <= from || r.offset >= to) out.push_back(r);
  }
  return out;
}

TEST(SegmentScanner, RoundTripsRandomRecordsThroughMemEnv) {
  SegmentBuilder builder = RandomSegment(1);
  auto env = base::NewMemEnv();
  {
    auto file = env->NewWritableFile("/seg");
    ASSERT_TRUE(file.has_value());
    // Written in pieces, as successive group commits reach the file.
    const std::string& bytes = builder.bytes();
    for (std::size_t at = 0; at < bytes.size(); at += 50'000) {
      ASSERT_TRUE((*file)->Append(std::string_view(bytes).substr(at, 50'000)).has_value());
    }
    ASSERT_TRUE((*file)->Close().has_value());
  }
  auto file = env->NewRandomAccessFile("/seg");
  ASSERT_TRUE(file.has_value());
  const ScanResult scan = ScanFile(**file, kSegmentHeaderBytes, builder.bytes().size());
  EXPECT_FALSE(scan.io_error);
  EXPECT_TRUE(scan.damages.empty()) << scan.damages[0].what;
  EXPECT_EQ(scan.records, builder.records());
  EXPECT_EQ(scan.last_good_end, builder.bytes().size());
  EXPECT_GT(builder.bytes().size(), 20 * kBlockBytes);
}

TEST(SegmentScanner, StartsAtIndexedOffsets) {
  SegmentBuilder builder = RandomSegment(2);
  const auto& records = builder.records();
  SegmentIndex index;
  for (const TestRecord& r : records) index.Add(r.sequence, r.arrival_us, r.offset);
  ASSERT_GT(index.entries().size(), 10u);
  for (std::size_t i = 0; i < records.size(); i += 7) {
    const ScanResult scan = ScanBytes(builder.bytes(), index.SeekSequence(records[i].sequence));
    ASSERT_TRUE(scan.damages.empty()) << "from record " << i << ": " << scan.damages[0].what;
    const std::vector<TestRecord> tail(records.begin() + static_cast<std::ptrdiff_t>(i),
                                       records.end());
    ASSERT_GE(scan.records.size(), tail.size());
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(),
                           scan.records.end() - static_cast<std::ptrdiff_t>(tail.size())));

    const ScanResult by_time = ScanBytes(builder.bytes(), index.SeekTime(records[i].arrival_us));
    ASSERT_FALSE(by_time.records.empty());
    std::size_t first_at_time = 0;
    while (records[first_at_time].arrival_us < records[i].arrival_us) ++first_at_time;
    EXPECT_LE(by_time.records.front().sequence, records[first_at_time].sequence);
  }
}

TEST(SegmentScanner, StartsAtARecordInTheMiddleOfABlock) {
  SegmentBuilder builder = RandomSegment(3, 60);
  const auto& records = builder.records();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ScanResult scan = ScanBytes(builder.bytes(), records[i].offset);
    ASSERT_TRUE(scan.damages.empty());
    ASSERT_EQ(scan.records.size(), records.size() - i);
    EXPECT_EQ(scan.records.front(), records[i]);
  }
}

TEST(SegmentScanner, FlippedByteLosesOnlyTheRestOfItsBlock) {
  SegmentBuilder builder = RandomSegment(4);
  const std::string good = builder.bytes();
  std::mt19937_64 rng(44);
  for (int trial = 0; trial < 120; ++trial) {
    const std::uint64_t at = kSegmentHeaderBytes + rng() % (good.size() - kSegmentHeaderBytes);
    std::string bad = good;
    bad[at] = static_cast<char>(static_cast<unsigned char>(bad[at]) ^ (1 + rng() % 255));
    // Everything from the record holding the flipped byte to the end of its
    // block is lost, including a record running on into the next block.
    const std::uint64_t block_end = BlockStart(at) + kBlockBytes;
    std::vector<TestRecord> expected;
    for (const TestRecord& r : builder.records()) {
      if (r.end <= at || r.offset >= block_end) expected.push_back(r);
    }
    const ScanResult scan = ScanBytes(bad);
    ASSERT_EQ(scan.records, expected) << "flip at " << at;
    if (expected.size() < builder.records().size()) {
      ASSERT_FALSE(scan.damages.empty());
      EXPECT_LE(scan.damages.front().offset, at);
    } else {
      // Only a flip in a block's zero tail hides; it holds no record.
      EXPECT_LT(block_end - at, kFragmentHeaderBytes);
    }
    for (const Damage& d : scan.damages) {
      EXPECT_LE(d.offset + d.length, good.size());
      EXPECT_NE(d.what.substr(0, 9), "torn tail");
    }
  }
}

TEST(SegmentScanner, TruncationNeverYieldsAPartialRecord) {
  // The last three records: one spanning a block boundary, one ending 3
  // bytes before a block end (so the next starts after padding), a small one.
  SegmentBuilder builder;
  std::uint64_t sequence = 1;
  builder.Append({sequence++, 1, "k", std::string(kBlockBytes - 2000, 'a')});
  builder.Append({sequence++, 2, "key", std::string(3000, 'b')});
  const std::uint64_t to_pad = BlockStart(builder.bytes().size()) + kBlockBytes - 3 -
                               builder.bytes().size() - kFragmentHeaderBytes - 16 - 1 - 1;
  builder.Append({sequence++, 3, "k", std::string(to_pad, 'c')});
  builder.Append({sequence++, 4, "kk", std::string(500, 'd')});
  ASSERT_EQ(builder.records()[2].end % kBlockBytes, (kBlockBytes - 3 + 64) % kBlockBytes);
  const auto& records = builder.records();
  const std::string bytes = builder.bytes();
  const std::uint64_t from = records[0].offset;  // scanning from here keeps the loop fast
  for (std::uint64_t cut = records[1].offset; cut <= bytes.size(); ++cut) {
    StringFile file(std::string_view(bytes).substr(0, cut));
    const ScanResult scan = ScanFile(file, from, cut);
    std::vector<TestRecord> complete;
    for (const TestRecord& r : records) {
      if (r.end <= cut) complete.push_back(r);
    }
    ASSERT_EQ(scan.records, complete) << "cut at " << cut;
    ASSERT_EQ(scan.last_good_end, complete.back().end);
    if (cut == complete.back().end) {
      ASSERT_TRUE(scan.damages.empty()) << "cut at " << cut << ": " << scan.damages[0].what;
    } else {
      ASSERT_EQ(scan.damages.size(), 1u) << "cut at " << cut;
      EXPECT_EQ(scan.damages[0].what.substr(0, 11), "torn tail: ");
      EXPECT_EQ(scan.damages[0].offset, complete.back().end) << "cut at " << cut;
      EXPECT_EQ(scan.damages[0].offset + scan.damages[0].length, cut);
    }
  }
}

TEST(SegmentScanner, GarbageAfterTheLastRecordIsATail) {
  SegmentBuilder builder = RandomSegment(5, 40);
  std::mt19937_64 rng(55);
  std::string bytes = builder.bytes();
  for (int i = 0; i < 50'000; ++i) bytes.push_back(static_cast<char>(rng()));
  const ScanResult scan = ScanBytes(bytes);
  EXPECT_EQ(scan.records, builder.records());
  EXPECT_EQ(scan.last_good_end, builder.bytes().size());
  ASSERT_FALSE(scan.damages.empty());
  EXPECT_EQ(scan.damages.front().offset, builder.bytes().size());
  const Damage& last = scan.damages.back();
  EXPECT_EQ(last.offset + last.length, bytes.size());
}

TEST(SegmentScanner, ZeroFilledRegions) {
  SegmentBuilder builder = RandomSegment(6);
  const auto& records = builder.records();
  // A zeroed block in the middle: its records and the one running into the
  // next block are lost; the block itself reads as padding.
  std::string bytes = builder.bytes();
  const std::uint64_t block = kSegmentHeaderBytes + 5 * kBlockBytes;
  bytes.replace(block, kBlockBytes, kBlockBytes, '\0');
  ScanResult scan = ScanBytes(bytes);
  EXPECT_EQ(scan.records, Outside(records, block, block + kBlockBytes));
  for (const Damage& d : scan.damages) EXPECT_EQ(d.what.find("torn"), std::string::npos);

  // Zeros after the last record (a file extended without its data) are a
  // torn tail: left in place, appends behind them would be skipped.
  bytes = builder.bytes();
  const std::uint64_t end = bytes.size();
  bytes.append(100, '\0');
  scan = ScanBytes(bytes);
  EXPECT_EQ(scan.records, records);
  ASSERT_EQ(scan.damages.size(), 1u);
  EXPECT_EQ(scan.damages[0].offset, end);
  EXPECT_EQ(scan.damages[0].length, 100u);
  EXPECT_EQ(scan.damages[0].what, "torn tail: block padding with no record after it");

  // Zeros followed by data in the same block would hide that data.
  bytes = builder.bytes();
  bytes.append(100, '\0');
  bytes.append("not zero");
  scan = ScanBytes(bytes);
  EXPECT_EQ(scan.records, records);
  ASSERT_EQ(scan.damages.size(), 1u);
  EXPECT_EQ(scan.damages[0].what, "nonzero bytes after a zero fragment header");
}

TEST(SegmentScanner, SequenceNumbersMustGrow) {
  SegmentBuilder builder;
  for (std::uint64_t s : {1u, 2u, 5u, 5u, 3u, 6u}) builder.Append({s, 0, "k", "data"});
  const ScanResult scan = ScanBytes(builder.bytes());
  ASSERT_EQ(scan.records.size(), 4u);
  EXPECT_EQ(scan.records[3].sequence, 6u);
  ASSERT_EQ(scan.damages.size(), 2u);
  EXPECT_EQ(scan.damages[0].what, "sequence number 5 not above 5");
  EXPECT_EQ(scan.damages[0].offset, builder.records()[3].offset);
  EXPECT_EQ(scan.damages[0].length, builder.records()[3].end - builder.records()[3].offset);
  EXPECT_EQ(scan.damages[1].what, "sequence number 3 not above 5");
}

// Frames raw fragments, for shapes a writer never produces.
std::string Fragment(FragmentType type, std::string_view body) {
  std::string out;
  std::string framed;
  AppendFragments(kSegmentHeaderBytes, body, &framed);
  out = framed;
  out[6] = static_cast<char>(type);
  const std::string typed = std::string(1, out[6]) + std::string(body);
  const std::uint32_t crc = base::Crc32cMask(base::Crc32c(typed));
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(crc >> (8 * i));
  return out;
}

std::string Payload(std::uint64_t sequence) {
  std::string payload;
  EncodeRecordPayload({sequence, 0, "key", "value"}, &payload);
  return payload;
}

TEST(SegmentScanner, BrokenFragmentSequences) {
  const std::string header = EncodeSegmentHeader({0, 1, 0});
  const std::string p1 = Payload(1), p2 = Payload(2), p3 = Payload(3);
  const struct {
    std::string body;
    std::vector<std::uint64_t> sequences;
    std::vector<std::string> damages;
  } kCases[] = {
      {Fragment(FragmentType::kMiddle, "xx") + Fragment(FragmentType::kFull, p1),
       {1},
       {"MIDDLE fragment without FIRST"}},
      {Fragment(FragmentType::kLast, "xx") + Fragment(FragmentType::kFull, p1),
       {1},
       {"LAST fragment without FIRST"}},
      {Fragment(FragmentType::kFirst, p1.substr(0, 9)) + Fragment(FragmentType::kFull, p2),
       {2},
       {"record has no LAST fragment before the next FULL fragment"}},
      {Fragment(FragmentType::kFirst, p1.substr(0, 9)) +
           Fragment(FragmentType::kFirst, p2.substr(0, 5)) +
           Fragment(FragmentType::kLast, p2.substr(5)),
       {2},
       {"record has no LAST fragment before the next FIRST fragment"}},
      {Fragment(FragmentType::kFull, "short") + Fragment(FragmentType::kFull, p3),
       {3},
       {"bad record: record payload is 5 bytes, shorter than the smallest record (18)"}},
      {Fragment(static_cast<FragmentType>(9), p1) + Fragment(FragmentType::kFull, p2),
       {},
       {"bad fragment type 9"}},
      {Fragment(FragmentType::kFirst, p1.substr(0, 3)) + std::string(7, '\0'),
       {},
       {"zero fragment header inside a record"}},
      {Fragment(FragmentType::kFirst, p1.substr(0, 3)) +
           Fragment(FragmentType::kMiddle, p1.substr(3, 4)),
       {},
       {"torn tail: record has no LAST fragment before the end of the data"}},
  };
  for (const auto& c : kCases) {
    const ScanResult scan = ScanBytes(header + c.body);
    std::vector<std::uint64_t> sequences;
    for (const TestRecord& r : scan.records) sequences.push_back(r.sequence);
    std::vector<std::string> damages;
    for (const Damage& d : scan.damages) damages.push_back(d.what);
    EXPECT_EQ(sequences, c.sequences) << c.damages[0];
    EXPECT_EQ(damages, c.damages);
  }
}

TEST(SegmentScanner, LengthPastTheBlockSkipsToTheNextBlock) {
  SegmentBuilder builder;
  builder.Append({1, 0, "k", std::string(100, 'x')});
  builder.Append({2, 0, "k", std::string(kBlockBytes, 'y')});  // ends in block 1
  builder.Append({3, 0, "k", "z"});
  std::string bytes = builder.bytes();
  bytes[kSegmentHeaderBytes + 4] = '\xFF';
  bytes[kSegmentHeaderBytes + 5] = '\xFF';
  const ScanResult scan = ScanBytes(bytes);
  ASSERT_EQ(scan.records.size(), 1u);
  EXPECT_EQ(scan.records[0].sequence, 3u);
  ASSERT_EQ(scan.damages.size(), 2u);
  EXPECT_EQ(scan.damages[0].what, "fragment length 65535 runs past the end of its block");
  EXPECT_EQ(scan.damages[0].offset, kSegmentHeaderBytes);
  EXPECT_EQ(scan.damages[0].length, kBlockBytes);
  EXPECT_EQ(scan.damages[1].what, "LAST fragment without FIRST");
}

TEST(SegmentScanner, FileShorterThanEndOffsetEndsWhereTheFileDoes) {
  SegmentBuilder builder = RandomSegment(7, 20);
  StringFile file(builder.bytes());
  const ScanResult scan = ScanFile(file, kSegmentHeaderBytes, builder.bytes().size() + 1000);
  EXPECT_EQ(scan.records, builder.records());
  EXPECT_TRUE(scan.damages.empty());
}

class FailingFile final : public base::RandomAccessFile {
 public:
  base::Result<std::size_t> ReadAt(std::uint64_t, std::span<char>) const override {
    return base::IoError("read /seg: Input/output error");
  }
  base::Result<std::uint64_t> Size() const override { return 1000; }
};

TEST(SegmentScanner, ReadErrorsAreReturned) {
  FailingFile file;
  SegmentScanner scanner(file, kSegmentHeaderBytes, 1000);
  ScannedRecord record;
  auto more = scanner.Next(&record);
  ASSERT_FALSE(more.has_value());
  EXPECT_EQ(more.error().code(), base::Code::kIoError);
}

TEST(SegmentScanner, EmptyRangeHasNothing) {
  const std::string header = EncodeSegmentHeader({0, 1, 0});
  const ScanResult scan = ScanBytes(header);
  EXPECT_TRUE(scan.records.empty());
  EXPECT_TRUE(scan.damages.empty());
  EXPECT_EQ(scan.last_good_end, kSegmentHeaderBytes);
}

// What recovery would learn from a segment file: its header, its records
// and each damage, one line each.
std::string DescribeSegment(const std::string& bytes) {
  std::string out;
  auto header = DecodeSegmentHeader(bytes);
  out += header ? "header: shard " + std::to_string(header->shard) + ", first sequence " +
                      std::to_string(header->first_sequence) + "\n"
                : "header: " + header.error().message() + "\n";
  const ScanResult scan = ScanBytes(bytes);
  out += "records:";
  for (const TestRecord& r : scan.records) out += " " + std::to_string(r.sequence);
  out += "\nlast good end: " + std::to_string(scan.last_good_end) + "\n";
  for (const Damage& d : scan.damages) {
    out += "damage [" + std::to_string(d.offset) + ", " + std::to_string(d.offset + d.length) +
           "): " + d.what + "\n";
  }
  return out;
}

TEST(SegmentScanner, Corpus) {
  EXPECT_GE(promorec::testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/eventlog", ".seg",
                                           DescribeSegment),
            8);
}

}  // namespace
}  // namespace promorec::eventlog
