#include "promorec/base/md5.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

namespace promorec::base {
namespace {

std::string Hex(const std::array<std::uint8_t, 16>& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t byte : digest) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xF]);
  }
  return out;
}

// Bytes (i * 7 + 3) mod 256: not all equal, so a mixed-up word order shows.
std::string Pattern(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>((i * 7 + 3) & 0xFF));
  return out;
}

TEST(Md5, Rfc1321TestSuite) {
  EXPECT_EQ(Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex(Md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(Hex(Md5("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(Hex(Md5("1234567890123456789012345678901234567890"
                    "1234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

// The tail needs a second padding block from 56 bytes on; these lengths sit
// on either side of that and of the block size. Values from Python's hashlib.
TEST(Md5, PaddingBoundaries) {
  const struct {
    std::size_t length;
    const char* hex;
  } kCases[] = {
      {55, "52c0e574e1198de5fe3f8f11440dcb1b"},  {56, "46c9907fc908ee68b1e7b8e71286a518"},
      {57, "1c805dd236c35cab25fcb1bc73802c51"},  {63, "a62f6d59e837867693f042f5b8f5a236"},
      {64, "7160b8fb5e9e4023d549c3971fbaeead"},  {65, "70bd662e7aefbda85a0f7244167b7897"},
      {119, "e84905d4214f4d1ca56c2cdcc152b143"}, {120, "e3eb5a6c8669ea01a8c185b8abc8a5dc"},
      {128, "10b2da1a82f16d99a81a7203fe9f02cb"}, {1000, "10046f077f2082ac19676b8079f1cb1a"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(Hex(Md5(Pattern(c.length))), c.hex) << "length " << c.length;
  }
}

TEST(Md5, ReadsOnlyTheViewedBytes) {
  const std::string padded = "xabcx";
  EXPECT_EQ(Md5(std::string_view(padded).substr(1, 3)), Md5("abc"));
}

}  // namespace
}  // namespace promorec::base
