#include "promorec/event/delimited.h"

#include <gtest/gtest.h>

#include <random>

#include "promorec/event/validate.h"

namespace promorec::event {
namespace {

ClickEvent ParseClassicOrDie(std::string_view line) {
  ClickEvent event;
  std::string scratch;
  auto status = ParseDelimitedLine(ColumnLayout::Classic(), line, &event, &scratch);
  EXPECT_TRUE(status) << status.error().ToString();
  return event;
}

FieldError ClassicError(std::string_view line) {
  ClickEvent event;
  std::string scratch;
  auto status = ParseDelimitedLine(ColumnLayout::Classic(), line, &event, &scratch);
  EXPECT_FALSE(status) << line;
  return status ? FieldError{} : status.error();
}

TEST(ClassicLineTest, ParsesTheOriginalSystemsLine) {
  const ClickEvent e = ParseClassicOrDie(
      "andy,0f2fcf95319f5c1e5745371351f521e5,us,100020213,"
      "ac26975cf46eae9898b7d906bdfbbf99ce7813ffc3f9b7c42163a55e02e81516,1518318207.8448,1");
  EXPECT_EQ(e.user_id, "andy");
  EXPECT_EQ(e.offer_id, "0f2fcf95319f5c1e5745371351f521e5");
  EXPECT_TRUE(e.HasPromotion());
  EXPECT_EQ(e.country, "us");
  EXPECT_EQ(e.category, "100020213");
  EXPECT_EQ(e.product, "ac26975cf46eae9898b7d906bdfbbf99ce7813ffc3f9b7c42163a55e02e81516");
  EXPECT_EQ(e.timestamp_us, 1518318207844800);
  EXPECT_EQ(e.rating, 1);
  EXPECT_EQ(e.event_id.size(), 32u);
}

TEST(ClassicLineTest, OfferZeroOrEmptyMeansNoPromotion) {
  const ClickEvent zero = ParseClassicOrDie("bob,0,de,6513,p1,2016-06-14 17:28:47.0,0");
  const ClickEvent empty = ParseClassicOrDie("bob,,de,6513,p1,2016-06-14 17:28:47.0,0");
  EXPECT_FALSE(zero.HasPromotion());
  EXPECT_FALSE(empty.HasPromotion());
  EXPECT_EQ(zero.event_id, empty.event_id);
}

TEST(ClassicLineTest, SameContentSameIdDifferentContentDifferentId) {
  const ClickEvent a = ParseClassicOrDie("bob,0,de,6513,p1,1518318207.5,0");
  const ClickEvent b = ParseClassicOrDie("bob,0,de,6513,p1,1518318207.5,0\r");
  const ClickEvent c = ParseClassicOrDie("bob,0,de,6513,p1,1518318207.5,1");
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_NE(a.event_id, c.event_id);
}

TEST(ClassicLineTest, ErrorsNameFieldAndReason) {
  EXPECT_EQ(ClassicError("a,b,c").ToString(),
            "expected 7 comma-separated fields (userid,offerid,countrycode,category,merchant,"
            "utcdate,rating), got 3");
  EXPECT_EQ(ClassicError(",0,de,1,p,1,0").ToString(), "field 'userid': must not be empty");
  EXPECT_EQ(ClassicError("u,0,de,1,,1,0").ToString(), "field 'merchant': must not be empty");
  EXPECT_EQ(ClassicError("u,0,de,1,p,1,2").ToString(), "field 'rating': must be 0 or 1, got \"2\"");
  EXPECT_EQ(ClassicError("u,0,de,1,p,yesterday,0").ToString(),
            "field 'utcdate': expected epoch seconds like 1518318207.8448 or a UTC date-time "
            "like 2016-06-14 17:28:47.0, got \"yesterday\"");
  EXPECT_EQ(ClassicError("u\xff,0,de,1,p,1,0").reason, Reason::kInvalidUtf8);
  EXPECT_EQ(ClassicError("u\xff,0,de,1,p,1,0").field, "userid");
  EXPECT_EQ(ClassicError(std::string(300, 'u') + ",0,de,1,p,1,0").ToString(),
            "field 'userid': is 300 bytes, the limit is 256");
}

ClickEvent RandomEvent(std::mt19937_64& rng) {
  auto word = [&rng](std::size_t max_len) {
    std::uniform_int_distribution<std::size_t> len(1, max_len);
    std::uniform_int_distribution<int> ch(0, 61);
    static constexpr char kChars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string s(len(rng), 'a');
    for (char& c : s) c = kChars[ch(rng)];
    return s;
  };
  ClickEvent e;
  e.user_id = word(40);
  e.offer_id = rng() % 3 == 0 ? "" : word(32);
  e.country = word(2);
  e.category = word(9);
  e.product = word(64);
  e.timestamp_us = static_cast<std::int64_t>(rng() % 7258118399999999ull);
  e.rating = static_cast<std::uint8_t>(rng() % 2);
  e.type = EventTypeFromRating(e.rating);
  return e;
}

TEST(DelimitedTest, ClassicAndKasandrRoundTrip) {
  std::mt19937_64 rng(1);
  auto kasandr =
      ColumnLayout::FromHeader("rating\tutcdate\tmerchant\tcategory\tcountrycode\tofferid\tuserid");
  ASSERT_TRUE(kasandr);
  std::string scratch;
  for (const ColumnLayout& layout : {ColumnLayout::Classic(), *kasandr}) {
    for (int i = 0; i < 2000; ++i) {
      ClickEvent original = RandomEvent(rng);
      AssignContentEventId(&original, &scratch);
      std::string line;
      ASSERT_TRUE(AppendDelimitedLine(layout, original, &line));
      ClickEvent decoded;
      auto status = ParseDelimitedLine(layout, line, &decoded, &scratch);
      ASSERT_TRUE(status) << status.error().ToString() << " in " << line;
      ASSERT_EQ(decoded, original) << line;
    }
  }
}

TEST(DelimitedTest, EncoderRefusesWhatTheFormatCannotCarry) {
  ClickEvent e;
  e.user_id = "a,b";
  e.product = "p";
  std::string line = "keep";
  auto status = AppendDelimitedLine(ColumnLayout::Classic(), e, &line);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field, "userid");
  EXPECT_EQ(line, "keep");
}

TEST(KasandrHeaderTest, TabOrCommaAnyOrderExtrasKept) {
  auto tab =
      ColumnLayout::FromHeader("userid\tofferid\tcountrycode\tcategory\tmerchant\tutcdate\trating");
  ASSERT_TRUE(tab);
  EXPECT_EQ(tab->separator(), '\t');
  auto comma = ColumnLayout::FromHeader(
      "\xEF\xBB\xBFoffer_rank,rating,userid,offerid,countrycode,category,merchant,utcdate\r");
  ASSERT_TRUE(comma);
  EXPECT_EQ(comma->separator(), ',');
  ClickEvent e;
  std::string scratch;
  ASSERT_TRUE(ParseDelimitedLine(*comma, "3,1,u1,o1,de,c1,m1,2016-06-14 17:28:47.0", &e, &scratch));
  EXPECT_EQ(e.user_id, "u1");
  EXPECT_EQ(e.rating, 1);
  ASSERT_EQ(e.attributes.size(), 1u);
  EXPECT_EQ(e.attributes[0].first, "offer_rank");
  EXPECT_EQ(e.attributes[0].second, "3");
}

TEST(KasandrHeaderTest, BadHeaders) {
  EXPECT_EQ(ColumnLayout::FromHeader("userid,offerid").error().ToString(),
            "field 'countrycode': required column missing from the header (need userid, "
            "offerid, countrycode, category, merchant, utcdate, rating)");
  EXPECT_EQ(
      ColumnLayout::FromHeader("userid,userid,offerid,countrycode,category,merchant,utcdate,rating")
          .error()
          .ToString(),
      "field 'userid': column appears twice in the header");
  EXPECT_EQ(ColumnLayout::FromHeader("userid,,offerid").error().reason, Reason::kBadHeader);
}

}  // namespace
}  // namespace promorec::event
