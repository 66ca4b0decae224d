#include "promorec/notify/live_position.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace promorec::notify {
namespace {

TEST(LivePositionTest, ParsesTheCanonicalFormAndFormatsItBack) {
  for (const char* text : {"0-0", "3-17", "4294967295-18446744073709551615"}) {
    const auto parsed = ParseLivePosition(text);
    ASSERT_TRUE(parsed) << text << ": " << parsed.error().ToString();
    EXPECT_EQ(FormatLivePosition(*parsed), text);
  }
  EXPECT_EQ(*ParseLivePosition("3-17"), (LivePosition{3, 17}));
}

TEST(LivePositionTest, OrdersOnlyWithinAShard) {
  EXPECT_TRUE(AtOrBefore({1, 5}, {1, 5}));
  EXPECT_TRUE(AtOrBefore({1, 4}, {1, 5}));
  EXPECT_FALSE(AtOrBefore({1, 6}, {1, 5}));
  EXPECT_FALSE(AtOrBefore({0, 1}, {1, 5}));
}

// tests/corpus/live-position/: each NAME.id is a bad Last-Event-ID;
// NAME.id.expected holds the exact error it must get.
TEST(LivePositionCorpusTest, EveryBadIdGetsItsExactError) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/live-position";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".id") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::ifstream expected_in(entry.path().string() + ".expected");
    std::string expected;
    std::getline(expected_in, expected);
    const auto parsed = ParseLivePosition(bytes.str());
    ASSERT_FALSE(parsed) << entry.path();
    EXPECT_EQ(parsed.error().ToString(), expected) << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace promorec::notify
