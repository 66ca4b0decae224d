#include "promorec/base/strings.h"

#include <gtest/gtest.h>

namespace promorec::base {
namespace {

TEST(StringsTest, TrimRemovesSpacesAndTabsAtBothEndsOnly) {
  EXPECT_EQ(Trim(" \t a b \t"), "a b");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("x\r"), "x\r") << "a carriage return is not HTTP white space";
  EXPECT_EQ(TrimChars("\r\nx \r", " \r\n"), "x");
}

TEST(StringsTest, CaseFoldingIsAsciiOnly) {
  EXPECT_EQ(AsciiLower("Keep-Alive \xC3\x84"), "keep-alive \xC3\x84");
  EXPECT_TRUE(EqualsIgnoreCase("Chunked", "cHUNKED"));
  EXPECT_FALSE(EqualsIgnoreCase("chunked", "chunked "));
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\x84", "\xC3\xA4"));
}

TEST(StringsTest, MediaTypeDropsParameters) {
  EXPECT_EQ(MediaType("application/json; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaType(" text/csv "), "text/csv");
  EXPECT_EQ(MediaType("Application/JSON"), "Application/JSON");
  EXPECT_EQ(MediaType(""), "");
  EXPECT_EQ(MediaType(";q=1"), "");
}

}  // namespace
}  // namespace promorec::base
