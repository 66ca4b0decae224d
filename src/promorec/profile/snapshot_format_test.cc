#include "promorec/profile/snapshot_format.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "promorec/testing/golden.h"

namespace promorec::profile {
namespace {

Profile Sample() {
  Profile p;
  p.country = "de";
  p.last_category = "shoes";
  p.last_product = "p1";
  p.events = 3;
  p.clicks = 1;
  p.first_seen_us = 1518318207844800;
  p.last_seen_us = 1518318300000000;
  return p;
}

std::string File(const std::vector<std::pair<std::string, Profile>>& profiles,
                 const std::vector<std::uint64_t>& positions) {
  std::string out;
  AppendSnapshotHeader(&out);
  for (const auto& [user, profile] : profiles) AppendSnapshotRecord(user, profile, &out);
  AppendSnapshotTrailer(profiles.size(), positions, &out);
  return out;
}

TEST(SnapshotFormatTest, RoundTrip) {
  const SnapshotContents contents{{{"alice", Sample()}, {"bob", Profile{"", "", "", 1, 0, 0, 0}}},
                                  {5, 9}};
  auto parsed = ParseProfileSnapshot(File(contents.profiles, contents.positions), "s");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(*parsed, contents);
  auto empty = ParseProfileSnapshot(File({}, {}), "s");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->profiles.empty());
}

TEST(SnapshotFormatTest, ExactErrors) {
  EXPECT_EQ(ParseProfileSnapshot("PROF", "s").error().ToString(),
            "corruption: s: header: the file has 4 bytes, a header needs 16");
  const std::string two = File({{"a", Sample()}, {"b", Sample()}}, {1});
  // Cut after the first record: the count in no trailer can be checked.
  std::string header_and_one;
  AppendSnapshotHeader(&header_and_one);
  AppendSnapshotRecord("a", Sample(), &header_and_one);
  EXPECT_EQ(ParseProfileSnapshot(header_and_one, "s").error().message(),
            "s: the file ends after record 0 without the trailer");
  EXPECT_EQ(
      ParseProfileSnapshot(two + "x", "s").error().message(),
      "s: trailer at byte " + std::to_string(two.size() - 28) + ": 1 byte follows the trailer");
  const std::string twice = File({{"a", Sample()}, {"a", Sample()}}, {});
  EXPECT_EQ(ParseProfileSnapshot(twice, "s").error().message(),
            "s: record 1 at byte " + std::to_string(16 + (header_and_one.size() - 16)) +
                ": user \"a\" is also record 0");
  Profile bad = Sample();
  bad.clicks = 4;
  EXPECT_EQ(ParseProfileSnapshot(File({{"a", bad}}, {}), "s").error().message(),
            "s: record 0 at byte 16: clicks 4 exceed events 3");
}

// Every file under tests/corpus/profile-snapshot/ gives exactly the message
// in the .expected file beside it (valid.snap is accepted).
TEST(SnapshotFormatTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/profile-snapshot";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".snap") continue;
    auto parsed =
        ParseProfileSnapshot(testing::ReadTestFile(entry.path()), entry.path().filename().string());
    const std::string actual =
        parsed ? "accepted " + std::to_string(parsed->profiles.size()) + " profiles, " +
                     std::to_string(parsed->positions.size()) + " positions\n"
               : parsed.error().ToString() + "\n";
    testing::ExpectGolden(entry.path().string() + ".expected", actual, entry.path());
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace promorec::profile
