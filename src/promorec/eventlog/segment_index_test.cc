#include "promorec/eventlog/segment_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"
#include "promorec/eventlog/segment_format.h"
#include "promorec/testing/golden.h"

namespace promorec::eventlog {
namespace {

constexpr std::uint64_t kBlock1 = kSegmentHeaderBytes + kBlockBytes;
constexpr std::uint64_t kBlock2 = kSegmentHeaderBytes + 2 * kBlockBytes;
constexpr std::uint64_t kBlock4 = kSegmentHeaderBytes + 4 * kBlockBytes;

// Entries in blocks 0, 1, 2 and 4 (block 3 held the middle of a long record).
SegmentIndex Sample() {
  SegmentIndex index;
  index.Add(10, 100, 64);
  index.Add(11, 100, 500);
  index.Add(12, 105, kBlock1 - 7);
  index.Add(13, 105, kBlock1 + 20);
  index.Add(14, 105, kBlock1 + 9000);
  index.Add(15, 110, kBlock2);
  index.Add(16, 120, kBlock4 + 3);
  return index;
}

void Reseal(std::string* bytes) {
  const std::size_t crc_at = bytes->size() - 4;
  std::string crc;
  PutFixed32(&crc, base::Crc32cMask(base::Crc32c(std::string_view(*bytes).substr(0, crc_at))));
  bytes->replace(crc_at, 4, crc);
}

std::string DecodeError(const std::string& bytes) {
  auto decoded = SegmentIndex::Decode(bytes);
  EXPECT_FALSE(decoded.has_value());
  if (decoded.has_value()) return "";
  EXPECT_EQ(decoded.error().code(), base::Code::kCorruption);
  return decoded.error().message();
}

TEST(SegmentIndex, KeepsTheFirstRecordOfEachBlock) {
  const SegmentIndex index = Sample();
  ASSERT_EQ(index.entries().size(), 4u);
  EXPECT_EQ(index.entries()[0].offset, 64u);
  EXPECT_EQ(index.entries()[1].sequence, 13u);
  EXPECT_EQ(index.entries()[1].offset, kBlock1 + 20);
  EXPECT_EQ(index.entries()[2].sequence, 15u);
  EXPECT_EQ(index.entries()[3].sequence, 16u);
  EXPECT_EQ(index.entries()[3].arrival_us, 120);
}

TEST(SegmentIndex, SeeksBySequence) {
  const SegmentIndex index = Sample();
  EXPECT_EQ(index.SeekSequence(1), kSegmentHeaderBytes);
  EXPECT_EQ(index.SeekSequence(10), 64u);
  EXPECT_EQ(index.SeekSequence(12), 64u);
  EXPECT_EQ(index.SeekSequence(13), kBlock1 + 20);
  EXPECT_EQ(index.SeekSequence(14), kBlock1 + 20);
  EXPECT_EQ(index.SeekSequence(15), kBlock2);
  EXPECT_EQ(index.SeekSequence(16), kBlock4 + 3);
  EXPECT_EQ(index.SeekSequence(1000), kBlock4 + 3);
  EXPECT_EQ(SegmentIndex().SeekSequence(5), kSegmentHeaderBytes);
}

TEST(SegmentIndex, SeeksByTimeToBeforeTheFirstRecordAtThatTime) {
  const SegmentIndex index = Sample();
  EXPECT_EQ(index.SeekTime(0), kSegmentHeaderBytes);
  EXPECT_EQ(index.SeekTime(100), kSegmentHeaderBytes);
  // Record 12 (time 105) sits in block 0, before the entry that has 105.
  EXPECT_EQ(index.SeekTime(105), 64u);
  EXPECT_EQ(index.SeekTime(106), kBlock1 + 20);
  EXPECT_EQ(index.SeekTime(110), kBlock1 + 20);
  EXPECT_EQ(index.SeekTime(111), kBlock2);
  EXPECT_EQ(index.SeekTime(500), kBlock4 + 3);
}

TEST(SegmentIndex, EncodesTheDocumentedLayout) {
  const std::string bytes = Sample().Encode(10, 16, kBlock4 + 100);
  ASSERT_EQ(bytes.size(), 40u + 4 * 24 + 4);
  EXPECT_EQ(bytes.substr(0, 8), "PROMOIDX");
  EXPECT_EQ(GetFixed32(bytes.data() + 8), 1u);
  EXPECT_EQ(GetFixed32(bytes.data() + 12), 4u);
  EXPECT_EQ(GetFixed64(bytes.data() + 16), 10u);
  EXPECT_EQ(GetFixed64(bytes.data() + 24), 16u);
  EXPECT_EQ(GetFixed64(bytes.data() + 32), kBlock4 + 100);
  EXPECT_EQ(GetFixed64(bytes.data() + 40 + 24), 13u);
  EXPECT_EQ(GetFixed64(bytes.data() + 40 + 24 + 8), 105u);
  EXPECT_EQ(GetFixed64(bytes.data() + 40 + 24 + 16), kBlock1 + 20);
  EXPECT_EQ(base::Crc32cUnmask(GetFixed32(bytes.data() + 136)),
            base::Crc32c(std::string_view(bytes).substr(0, 136)));
}

TEST(SegmentIndex, RoundTrips) {
  auto decoded = SegmentIndex::Decode(Sample().Encode(10, 16, kBlock4 + 100));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoded->first_sequence, 10u);
  EXPECT_EQ(decoded->last_sequence, 16u);
  EXPECT_EQ(decoded->covered_bytes, kBlock4 + 100);
  ASSERT_EQ(decoded->index.entries().size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(decoded->index.entries()[i].sequence, Sample().entries()[i].sequence);
    EXPECT_EQ(decoded->index.entries()[i].arrival_us, Sample().entries()[i].arrival_us);
    EXPECT_EQ(decoded->index.entries()[i].offset, Sample().entries()[i].offset);
  }
  // A sealed segment with no records: last = first - 1.
  auto empty = SegmentIndex::Decode(SegmentIndex().Encode(5, 4, 64));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->index.entries().empty());
}

TEST(SegmentIndex, ReportsWhatIsWrong) {
  const std::string good = Sample().Encode(10, 16, kBlock4 + 100);
  EXPECT_EQ(DecodeError(good.substr(0, 43)), "index is 43 bytes, shorter than an empty index (44)");
  std::string bad = good;
  bad[3] = 'x';
  EXPECT_EQ(DecodeError(bad), "index has no PROMOIDX magic");
  bad = good;
  bad[50] ^= 4;
  EXPECT_EQ(DecodeError(bad), "index CRC mismatch");
  EXPECT_EQ(DecodeError(good + "x"), "index CRC mismatch");

  bad = good;
  bad[8] = 3;
  Reseal(&bad);
  EXPECT_EQ(DecodeError(bad),
            "index format version 3 is not supported (this build reads version 1)");
  bad = good;
  bad[12] = 5;
  Reseal(&bad);
  EXPECT_EQ(DecodeError(bad), "index says 5 entries but holds 96 bytes of entries");

  const auto with_entry_field = [&](std::size_t entry, std::size_t field, std::uint64_t value) {
    std::string out = good;
    std::string fixed;
    PutFixed64(&fixed, value);
    out.replace(40 + 24 * entry + 8 * field, 8, fixed);
    Reseal(&out);
    return out;
  };
  EXPECT_EQ(DecodeError(with_entry_field(0, 2, 10)),
            "index entry 0: offset 10 is outside the covered bytes [64, 131236)");
  EXPECT_EQ(DecodeError(with_entry_field(3, 2, kBlock4 + 100)),
            "index entry 3: offset 131236 is outside the covered bytes [64, 131236)");
  EXPECT_EQ(DecodeError(with_entry_field(2, 2, kBlock1 + 5)),
            "index entry 2: offset 32837 is not in a later block than 32852");
  EXPECT_EQ(DecodeError(with_entry_field(0, 0, 9)),
            "index entry 0: sequence number 9 is below the segment's first 10");
  EXPECT_EQ(DecodeError(with_entry_field(2, 0, 13)),
            "index entry 2: sequence number 13 not above 13");
  EXPECT_EQ(DecodeError(with_entry_field(1, 1, 99)), "index entry 1: arrival time 99 before 100");
}

TEST(SegmentIndex, DecodeNeverAcceptsAFlippedByte) {
  const std::string good = Sample().Encode(10, 16, kBlock4 + 100);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ASSERT_FALSE(SegmentIndex::Decode(bad).has_value()) << "byte " << i << " bit " << bit;
    }
  }
}

std::string DescribeIndex(const std::string& bytes) {
  auto decoded = SegmentIndex::Decode(bytes);
  if (!decoded) return "error: " + decoded.error().message() + "\n";
  return "ok: sequences " + std::to_string(decoded->first_sequence) + ".." +
         std::to_string(decoded->last_sequence) + ", " + std::to_string(decoded->covered_bytes) +
         " bytes, " + std::to_string(decoded->index.entries().size()) + " entries\n";
}

TEST(SegmentIndex, Corpus) {
  EXPECT_GE(promorec::testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/eventlog", ".idx",
                                           DescribeIndex),
            3);
}

}  // namespace
}  // namespace promorec::eventlog
