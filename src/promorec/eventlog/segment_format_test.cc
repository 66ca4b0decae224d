#include "promorec/eventlog/segment_format.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"

namespace promorec::eventlog {
namespace {

// Overwrites the masked CRC at `crc_at` with the right one for [0, crc_at),
// so a test can change a field and still reach the check behind the CRC.
void Reseal(std::string* bytes, std::size_t crc_at) {
  const std::uint32_t crc =
      base::Crc32cMask(base::Crc32c(std::string_view(*bytes).substr(0, crc_at)));
  std::string fixed;
  PutFixed32(&fixed, crc);
  bytes->replace(crc_at, 4, fixed);
}

std::string ErrorOf(const base::Result<SegmentHeader>& r) {
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) return "";
  EXPECT_EQ(r.error().code(), base::Code::kCorruption);
  return r.error().message();
}

std::string ErrorOf(const base::Result<RecordFields>& r) {
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) return "";
  EXPECT_EQ(r.error().code(), base::Code::kCorruption);
  return r.error().message();
}

TEST(SegmentHeader, RoundTripsAndMatchesTheLayout) {
  const SegmentHeader header{7, 4200001, 1700000000123456};
  const std::string bytes = EncodeSegmentHeader(header);
  ASSERT_EQ(bytes.size(), kSegmentHeaderBytes);
  EXPECT_EQ(bytes.substr(0, 8), "PROMOSEG");
  EXPECT_EQ(GetFixed32(bytes.data() + 8), 1u);
  EXPECT_EQ(GetFixed32(bytes.data() + 12), 7u);
  EXPECT_EQ(GetFixed64(bytes.data() + 16), 4200001u);
  EXPECT_EQ(GetFixed64(bytes.data() + 24), 1700000000123456u);
  EXPECT_EQ(bytes.substr(32, 28), std::string(28, '\0'));
  EXPECT_EQ(base::Crc32cUnmask(GetFixed32(bytes.data() + 60)),
            base::Crc32c(std::string_view(bytes).substr(0, 60)));

  auto back = DecodeSegmentHeader(bytes);
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  EXPECT_EQ(back->shard, 7u);
  EXPECT_EQ(back->first_sequence, 4200001u);
  EXPECT_EQ(back->created_us, 1700000000123456);
  // The start of a file works as well as the header alone.
  EXPECT_TRUE(DecodeSegmentHeader(bytes + "block bytes").has_value());
}

TEST(SegmentHeader, NegativeCreationTimeSurvives) {
  auto back = DecodeSegmentHeader(EncodeSegmentHeader({0, 1, -5}));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->created_us, -5);
}

TEST(SegmentHeader, ReportsWhatIsWrong) {
  const std::string good = EncodeSegmentHeader({1, 1, 1});
  EXPECT_EQ(ErrorOf(DecodeSegmentHeader(good.substr(0, 63))),
            "segment header is 63 bytes, needs 64");
  EXPECT_EQ(ErrorOf(DecodeSegmentHeader("")), "segment header is 0 bytes, needs 64");

  std::string bad = good;
  bad[0] = 'X';
  EXPECT_EQ(ErrorOf(DecodeSegmentHeader(bad)), "segment header has no PROMOSEG magic");

  bad = good;
  bad[20] ^= 1;
  EXPECT_EQ(ErrorOf(DecodeSegmentHeader(bad)).substr(0, 33), "segment header CRC mismatch: stor");

  bad = good;
  bad[8] = 2;
  Reseal(&bad, 60);
  EXPECT_EQ(ErrorOf(DecodeSegmentHeader(bad)),
            "segment format version 2 is not supported (this build reads version 1)");

  bad = good;
  bad[40] = 1;
  Reseal(&bad, 60);
  EXPECT_EQ(ErrorOf(DecodeSegmentHeader(bad)), "segment header bytes [32, 60) are not zero");
}

TEST(RecordPayload, RoundTripsKeysAroundTheVarintBoundary) {
  for (std::size_t key_length : {1u, 2u, 127u, 128u, 200u, 255u, 256u}) {
    for (std::size_t data_length : {0u, 1u, 1000u, 70000u}) {
      const std::string key(key_length, 'k');
      const std::string data(data_length, 'd');
      std::string payload = "prefix";
      EncodeRecordPayload({12345678901ull, -17, key, data}, &payload);
      const std::size_t varint = key_length < 128 ? 1 : 2;
      ASSERT_EQ(payload.size(), 6 + 16 + varint + key_length + data_length);
      auto back = DecodeRecordPayload(std::string_view(payload).substr(6));
      ASSERT_TRUE(back.has_value()) << back.error().ToString();
      EXPECT_EQ(back->sequence, 12345678901ull);
      EXPECT_EQ(back->arrival_us, -17);
      EXPECT_EQ(back->partition_key, key);
      EXPECT_EQ(back->data, data);
    }
  }
}

TEST(RecordPayload, EncodesTheDocumentedLayout) {
  std::string payload;
  EncodeRecordPayload({1, 2, "pk", "data"}, &payload);
  EXPECT_EQ(payload, std::string("\1\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0\2pkdata", 23));
  payload.clear();
  EncodeRecordPayload({1, 2, std::string(200, 'k'), ""}, &payload);
  EXPECT_EQ(payload.substr(16, 2), "\xC8\x01");
}

TEST(RecordPayload, ReportsWhatIsWrong) {
  const std::string fixed(16, '\0');
  EXPECT_EQ(ErrorOf(DecodeRecordPayload("")),
            "record payload is 0 bytes, shorter than the smallest record (18)");
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(fixed + "\x01")),
            "record payload is 17 bytes, shorter than the smallest record (18)");
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(fixed + std::string("\x81\x00k", 3))),
            "partition key length is an overlong varint");
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(fixed + "\x81\x80\x01")),
            "partition key length varint is over 2 bytes");
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(fixed + std::string("\x00k", 2))),
            "partition key length 0 is outside 1..256");
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(fixed + "\x81\x02" + std::string(300, 'k'))),
            "partition key length 257 is outside 1..256");
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(fixed + "\x05kkk")),
            "partition key of 5 bytes runs past the end of the 20-byte payload");
  std::string huge = fixed + "\x01k";
  huge.append(kMaxRecordDataBytes + 1, 'd');
  EXPECT_EQ(ErrorOf(DecodeRecordPayload(huge)),
            "record data is 16777217 bytes, above the 16 MiB limit");
}

TEST(BlockStart, MapsOffsetsToTheirBlock) {
  EXPECT_EQ(BlockStart(0), 64u);
  EXPECT_EQ(BlockStart(63), 64u);
  EXPECT_EQ(BlockStart(64), 64u);
  EXPECT_EQ(BlockStart(64 + 32767), 64u);
  EXPECT_EQ(BlockStart(64 + 32768), 64u + 32768);
  EXPECT_EQ(BlockStart(64 + 5 * 32768 + 9), 64u + 5 * 32768);
  EXPECT_EQ(FirstFragmentOffset(100), 100u);
  EXPECT_EQ(FirstFragmentOffset(64 + 32768 - 7), 64u + 32768 - 7);
  EXPECT_EQ(FirstFragmentOffset(64 + 32768 - 6), 64u + 32768);
  EXPECT_EQ(FirstFragmentOffset(64 + 32768), 64u + 32768);
}

struct Fragment {
  std::uint64_t offset;
  FragmentType type;
  std::string payload;
};

// Splits framed bytes written at `offset` back into fragments, checking
// that none crosses a block boundary and that padding is zeros.
std::vector<Fragment> Split(std::uint64_t offset, std::string_view bytes) {
  std::vector<Fragment> out;
  while (!bytes.empty()) {
    const std::uint64_t left = BlockStart(offset) + kBlockBytes - offset;
    if (left < kFragmentHeaderBytes) {
      EXPECT_GE(bytes.size(), left);
      EXPECT_EQ(bytes.substr(0, left), std::string(left, '\0')) << "padding at " << offset;
      bytes.remove_prefix(left);
      offset += left;
      continue;
    }
    const std::size_t length =
        static_cast<unsigned char>(bytes[4]) |
        (static_cast<std::size_t>(static_cast<unsigned char>(bytes[5])) << 8);
    EXPECT_LE(kFragmentHeaderBytes + length, left)
        << "fragment at " << offset << " crosses a block";
    const std::string_view typed = bytes.substr(6, 1 + length);
    EXPECT_EQ(base::Crc32cUnmask(GetFixed32(bytes.data())), base::Crc32c(typed));
    out.push_back({offset, static_cast<FragmentType>(bytes[6]), std::string(typed.substr(1))});
    bytes.remove_prefix(kFragmentHeaderBytes + length);
    offset += kFragmentHeaderBytes + length;
  }
  return out;
}

TEST(AppendFragments, SmallRecordIsOneFullFragment) {
  std::string out = "existing";
  EXPECT_EQ(AppendFragments(64, "twenty bytes payload", &out), 64u + 7 + 20);
  ASSERT_EQ(out.size(), 8u + 7 + 20);
  const auto fragments = Split(64, std::string_view(out).substr(8));
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_EQ(fragments[0].type, FragmentType::kFull);
  EXPECT_EQ(fragments[0].payload, "twenty bytes payload");
  EXPECT_EQ(out.substr(8 + 4, 3), std::string("\x14\x00\x01", 3));
}

TEST(AppendFragments, RecordCrossingABoundaryIsCut) {
  const std::uint64_t start = 64 + kBlockBytes - 100;
  const std::string payload(150, 'x');
  std::string out;
  EXPECT_EQ(AppendFragments(start, payload, &out), start + 7 + 93 + 7 + 57);
  const auto fragments = Split(start, out);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_EQ(fragments[0].type, FragmentType::kFirst);
  EXPECT_EQ(fragments[0].payload.size(), 93u);
  EXPECT_EQ(fragments[1].type, FragmentType::kLast);
  EXPECT_EQ(fragments[1].offset, 64 + kBlockBytes);
  EXPECT_EQ(fragments[1].payload.size(), 57u);
}

TEST(AppendFragments, ShortBlockTailIsPadded) {
  for (std::uint64_t left = 1; left < kFragmentHeaderBytes; ++left) {
    const std::uint64_t start = 64 + 2 * kBlockBytes - left;
    std::string out;
    EXPECT_EQ(AppendFragments(start, "0123456789abcdefgh", &out), 64 + 2 * kBlockBytes + 7 + 18);
    EXPECT_EQ(out.substr(0, left), std::string(left, '\0'));
    const auto fragments = Split(start, out);
    ASSERT_EQ(fragments.size(), 1u);
    EXPECT_EQ(fragments[0].offset, 64 + 2 * kBlockBytes);
    EXPECT_EQ(fragments[0].type, FragmentType::kFull);
  }
}

TEST(AppendFragments, ExactlyAHeaderLeftGivesAnEmptyFirst) {
  const std::uint64_t start = 64 + kBlockBytes - 7;
  std::string out;
  AppendFragments(start, "0123456789abcdefgh", &out);
  const auto fragments = Split(start, out);
  ASSERT_EQ(fragments.size(), 2u);
  EXPECT_EQ(fragments[0].type, FragmentType::kFirst);
  EXPECT_EQ(fragments[0].payload, "");
  EXPECT_EQ(fragments[1].type, FragmentType::kLast);
  EXPECT_EQ(fragments[1].payload, "0123456789abcdefgh");
}

TEST(AppendFragments, LargeRecordsSpanBlocksAndReassemble) {
  std::mt19937_64 rng(3);
  std::uint64_t offset = 64;
  std::string file;
  for (std::size_t size : {18u, 32761u, 32762u, 65536u, 200000u, 40u, 100000u}) {
    std::string payload(size, '\0');
    for (char& c : payload) c = static_cast<char>(rng());
    std::string out;
    const std::uint64_t end = AppendFragments(offset, payload, &out);
    ASSERT_EQ(end, offset + out.size());
    const auto fragments = Split(offset, out);
    std::string joined;
    for (std::size_t i = 0; i < fragments.size(); ++i) {
      const FragmentType want = fragments.size() == 1       ? FragmentType::kFull
                                : i == 0                    ? FragmentType::kFirst
                                : i + 1 == fragments.size() ? FragmentType::kLast
                                                            : FragmentType::kMiddle;
      EXPECT_EQ(fragments[i].type, want) << "size " << size << " fragment " << i;
      joined += fragments[i].payload;
    }
    EXPECT_EQ(joined, payload);
    offset = end;
  }
}

}  // namespace
}  // namespace promorec::eventlog
