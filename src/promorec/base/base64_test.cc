#include "promorec/base/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace promorec::base {
namespace {

std::string Decoded(std::string_view text) {
  auto decoded = Base64Decode(text);
  EXPECT_TRUE(decoded) << text << ": " << decoded.error().ToString();
  return decoded ? *decoded : std::string();
}

std::string DecodeError(std::string_view text) {
  auto decoded = Base64Decode(text);
  EXPECT_FALSE(decoded) << text;
  return decoded ? std::string() : decoded.error().message();
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Decoded(encoded), plain);
    EXPECT_EQ(Base64EncodedSize(plain.size()), encoded.size());
    EXPECT_EQ(Base64DecodedSize(encoded), plain.size());
  }
}

TEST(Base64, EveryByteValueRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const std::string data = all.substr(all.size() - n);
    const std::string encoded = Base64Encode(data);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(Decoded(encoded), data);
  }
}

TEST(Base64, UsesTheStandardAlphabet) {
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(Decoded("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64, AppendKeepsWhatIsThere) {
  std::string out = "x:";
  AppendBase64("hi", &out);
  EXPECT_EQ(out, "x:aGk=");
}

TEST(Base64, RejectsBadLength) {
  EXPECT_EQ(DecodeError("Zg="), "base64 text of 3 characters is not a multiple of 4 long");
  EXPECT_EQ(DecodeError("Zg"), "base64 text of 2 characters is not a multiple of 4 long");
}

TEST(Base64, RejectsBytesOutsideTheAlphabet) {
  EXPECT_EQ(DecodeError("Zm9v-A=="), "base64 text has '-' at offset 4, outside the alphabet");
  EXPECT_EQ(DecodeError("Zm9v\nA=="),
            "base64 text has byte 0x0a at offset 4, outside the alphabet");
  EXPECT_EQ(DecodeError("Zm 9"), "base64 text has byte 0x20 at offset 2, outside the alphabet");
  EXPECT_EQ(DecodeError(std::string("Zm\0v", 4)),
            "base64 text has byte 0x00 at offset 2, outside the alphabet");
  EXPECT_EQ(DecodeError("Zm_v"), "base64 text has '_' at offset 2, outside the alphabet");
}

TEST(Base64, RejectsMisplacedPadding) {
  EXPECT_EQ(DecodeError("Zg==Zm9v"), "base64 text has padding '=' at offset 2, before its end");
  EXPECT_EQ(DecodeError("Z=g="), "base64 text has padding '=' at offset 1, before its end");
  EXPECT_EQ(DecodeError("===="), "base64 text has padding '=' at offset 0, before its end");
  EXPECT_EQ(DecodeError("Z==="), "base64 text has padding '=' at offset 1, before its end");
  EXPECT_EQ(DecodeError("Zm=v"), "base64 text has padding '=' at offset 2, before its end");
}

TEST(Base64, RejectsNonzeroUnusedBits) {
  // "Zh==" and "Zm9=" would decode to "f" and "fo" if the spare bits were
  // ignored; only one spelling per value is accepted.
  EXPECT_EQ(DecodeError("Zh=="),
            "base64 text has nonzero unused bits in its last character (offset 1)");
  EXPECT_EQ(DecodeError("Zm9="),
            "base64 text has nonzero unused bits in its last character (offset 2)");
}

TEST(Base64, DecodedSizeIsAnUpperBoundForAnyText) {
  EXPECT_EQ(Base64DecodedSize(""), 0u);
  EXPECT_EQ(Base64DecodedSize("=="), 0u);
  EXPECT_EQ(Base64DecodedSize("===="), 1u);
  EXPECT_EQ(Base64DecodedSize("Zm9vYg==x"), 4u);
}

}  // namespace
}  // namespace promorec::base
