#include "promorec/base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "promorec/base/crc32c_internal.h"

namespace promorec::base {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string Ascending() {
  std::string s(32, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i);
  return s;
}

std::string Descending() {
  std::string s(32, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(31 - i);
  return s;
}

// RFC 3720 (iSCSI) B.4 test vectors plus the classic check value.
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c(""), 0U);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283U);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAU);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43U);
  EXPECT_EQ(Crc32c(Ascending()), 0x46DD794EU);
  EXPECT_EQ(Crc32c(Descending()), 0x113FDB5CU);
  // An iSCSI read command PDU.
  EXPECT_EQ(Crc32c(Bytes({0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
                          0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})),
            0xD9963A56U);
}

TEST(Crc32cTest, BothImplementationsMatchKnownVectors) {
  const std::string check = "123456789";
  EXPECT_EQ(internal::Crc32cExtendPortable(0, check.data(), check.size()), 0xE3069283U);
  const std::string asc = Ascending();
  EXPECT_EQ(internal::Crc32cExtendPortable(0, asc.data(), asc.size()), 0x46DD794EU);
  if (!internal::Crc32cSse42Supported()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  EXPECT_EQ(internal::Crc32cExtendSse42(0, check.data(), check.size()), 0xE3069283U);
  EXPECT_EQ(internal::Crc32cExtendSse42(0, asc.data(), asc.size()), 0x46DD794EU);
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomBuffers) {
  if (!internal::Crc32cSse42Supported()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937 rng(42);
  std::vector<unsigned char> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  std::uniform_int_distribution<uint32_t> seed_dist;
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t len = 0; len <= 300; ++len) {
      const uint32_t seed = len % 3 == 0 ? 0U : seed_dist(rng);
      const uint32_t hw = internal::Crc32cExtendSse42(seed, buf.data() + offset, len);
      const uint32_t sw = internal::Crc32cExtendPortable(seed, buf.data() + offset, len);
      ASSERT_EQ(hw, sw) << "offset " << offset << " length " << len;
    }
    const uint32_t hw = internal::Crc32cExtendSse42(0, buf.data() + offset, 4096);
    const uint32_t sw = internal::Crc32cExtendPortable(0, buf.data() + offset, 4096);
    ASSERT_EQ(hw, sw) << "offset " << offset << " length 4096";
  }
}

TEST(Crc32cTest, DispatchMatchesReportedImplementation) {
  EXPECT_EQ(Crc32cHardwareAvailable(), internal::Crc32cSse42Supported());
  const std::string data(1000, 'q');
  EXPECT_EQ(Crc32c(data), internal::Crc32cExtendPortable(0, data.data(), data.size()));
}

TEST(Crc32cTest, ExtendOverPiecesEqualsOneShot) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); split += 37) {
    const uint32_t first = Crc32c(std::string_view(data).substr(0, split));
    EXPECT_EQ(Crc32cExtend(first, data.data() + split, data.size() - split), whole)
        << "split at " << split;
  }
  uint32_t bytewise = 0;
  for (const char c : data) bytewise = Crc32cExtend(bytewise, &c, 1);
  EXPECT_EQ(bytewise, whole);
}

TEST(Crc32cTest, DifferentDataDifferentCrc) {
  EXPECT_NE(Crc32c("a"), Crc32c("foo"));
  EXPECT_NE(Crc32c("hello world"), Crc32c("hello worle"));
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  std::mt19937 rng(3);
  for (uint32_t crc : {0U, 1U, 0xffffffffU, Crc32c("foo"), static_cast<uint32_t>(rng())}) {
    EXPECT_NE(Crc32cMask(crc), crc);
    EXPECT_NE(Crc32cMask(Crc32cMask(crc)), crc);
    EXPECT_EQ(Crc32cUnmask(Crc32cMask(crc)), crc);
    EXPECT_EQ(Crc32cUnmask(Crc32cUnmask(Crc32cMask(Crc32cMask(crc)))), crc);
  }
}

}  // namespace
}  // namespace promorec::base
