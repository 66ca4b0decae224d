#include "promorec/event/event_file.h"

#include <gtest/gtest.h>

#include "promorec/base/mem_env.h"

namespace promorec::event {
namespace {

struct Outcome {
  base::Result<ReadStats> stats;
  std::vector<ClickEvent> events;
  std::vector<Rejection> rejections;
};

Outcome Read(const std::string& content, InputFormat format) {
  auto env = base::NewMemEnv();
  EXPECT_TRUE(base::WriteFileAtomically(*env, "/in", content));
  std::vector<ClickEvent> events;
  MemoryDeadLetter dead_letter;
  auto stats = ReadEventFile(
      *env, "/in", "in.csv", format, [&events](const ClickEvent& e) { events.push_back(e); },
      dead_letter);
  return Outcome{std::move(stats), std::move(events), dead_letter.rejections()};
}

std::string ClassicLines(int n, int bad_line) {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    out += "user" + std::to_string(i) + ",0,de,cat,prod," + std::to_string(1500000000 + i) +
           (i == bad_line ? ",7\n" : ",0\n");
  }
  return out;
}

TEST(EventFileTest, OneBadLineAmongAThousand) {
  Outcome out = Read(ClassicLines(1000, 617), InputFormat::kClick);
  ASSERT_TRUE(out.stats);
  EXPECT_EQ(out.stats->rows_read, 1000u);
  EXPECT_EQ(out.stats->accepted, 999u);
  EXPECT_EQ(out.stats->rejected, 1u);
  EXPECT_EQ(out.stats->rejected_by_reason[static_cast<std::size_t>(Reason::kBadRating)], 1u);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].line, 617u);
  EXPECT_EQ(out.rejections[0].ToString().substr(0, 11), "in.csv:617 ");
  EXPECT_EQ(out.rejections[0].error.ToString(), "field 'rating': must be 0 or 1, got \"7\"");
  EXPECT_EQ(out.events.size(), 999u);
  EXPECT_EQ(out.events[616].user_id, "user618");
}

TEST(EventFileTest, TruncatedLastLineIsNamedAsSuch) {
  Outcome out = Read("u,0,de,c,p,1,0\nu,0,de,c,p,1", InputFormat::kClick);
  ASSERT_TRUE(out.stats);
  EXPECT_EQ(out.stats->accepted, 1u);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].error.reason, Reason::kTruncated);
  EXPECT_EQ(out.rejections[0].line, 2u);
  // A complete last line without a line break is fine.
  Outcome fine = Read("u,0,de,c,p,1,0\nu,0,de,c,p,1,1", InputFormat::kClick);
  EXPECT_EQ(fine.stats->accepted, 2u);
}

TEST(EventFileTest, KasandrHeaderThenRowsBlankLinesSkipped) {
  Outcome out = Read(
      "userid\tofferid\tcountrycode\tcategory\tmerchant\tutcdate\trating\n"
      "u1\to1\tde\t1\tm1\t2016-06-14 17:28:47.0\t0\n\n"
      "u2\to2\tde\t1\tm2\t2016-06-14 17:28:48.0\t1\n",
      InputFormat::kKasandr);
  ASSERT_TRUE(out.stats);
  EXPECT_EQ(out.stats->rows_read, 2u);
  EXPECT_EQ(out.stats->accepted, 2u);
  EXPECT_EQ(out.events[1].product, "m2");
}

TEST(EventFileTest, KasandrWithoutUsableHeaderFailsTheFile) {
  Outcome out = Read("u1,o1,de,1,m1,1,0\n", InputFormat::kKasandr);
  ASSERT_FALSE(out.stats);
  EXPECT_EQ(out.stats.error().message(),
            "in.csv:1: not a KASANDR header: no known column name (userid, offerid, countrycode, "
            "category, merchant, utcdate, rating); is the header line missing?");
  Outcome empty = Read("", InputFormat::kKasandr);
  ASSERT_FALSE(empty.stats);
  EXPECT_EQ(empty.stats.error().message(), "in.csv: empty file: no header line");
}

TEST(EventFileTest, MissingFileIsAnError) {
  auto env = base::NewMemEnv();
  MemoryDeadLetter dead_letter;
  auto stats = ReadEventFile(
      *env, "/nope", "nope", InputFormat::kClick, [](const ClickEvent&) {}, dead_letter);
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().code(), base::Code::kNotFound);
}

TEST(EventFileTest, OverlongLineIsRejectedAndTheRestGoesOn) {
  std::string content = "u,0,de,c,p,1,0\n" + std::string(100000, 'x') + "\nu,0,de,c,p,2,1\n";
  Outcome out = Read(content, InputFormat::kClick);
  ASSERT_TRUE(out.stats);
  EXPECT_EQ(out.stats->accepted, 2u);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].error.reason, Reason::kLineTooLong);
  EXPECT_EQ(out.rejections[0].line, 2u);
  EXPECT_EQ(out.rejections[0].raw.size(), 1024u);
}

}  // namespace
}  // namespace promorec::event
