#include "promorec/event/timestamp.h"

#include <gtest/gtest.h>

#include <random>

namespace promorec::event {
namespace {

TEST(TimestampTest, EpochSecondsWithFraction) {
  EXPECT_EQ(ParseTimestamp("1518318207.8448"), 1518318207844800);
  EXPECT_EQ(ParseTimestamp("1518318207"), 1518318207000000);
  EXPECT_EQ(ParseTimestamp("0"), 0);
  EXPECT_EQ(ParseTimestamp("1.123456789"), 1123456);  // below 1 µs is cut
}

TEST(TimestampTest, DateTimeForms) {
  EXPECT_EQ(ParseTimestamp("2016-06-14 17:28:47.0"), 1465925327000000);
  EXPECT_EQ(ParseTimestamp("2016-06-14T17:28:47Z"), 1465925327000000);
  EXPECT_EQ(ParseTimestamp("2016-06-14T17:28:47.25Z"), 1465925327250000);
  EXPECT_EQ(ParseTimestamp("2016-06-14T19:28:47+02:00"), 1465925327000000);
  EXPECT_EQ(ParseTimestamp("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(ParseTimestamp("2024-02-29 12:00:00"), 1709208000000000);
}

TEST(TimestampTest, RejectsWithReasons) {
  EXPECT_FALSE(ParseTimestamp(""));
  EXPECT_FALSE(ParseTimestamp("abc"));
  EXPECT_FALSE(ParseTimestamp("1518318207."));
  EXPECT_FALSE(ParseTimestamp("-5"));
  EXPECT_FALSE(ParseTimestamp("1.5e9"));
  EXPECT_EQ(ParseTimestamp("2016-13-01 00:00:00").error().message(), "month out of range 01..12");
  EXPECT_EQ(ParseTimestamp("2023-02-29 00:00:00").error().message(),
            "day out of range for the month");
  EXPECT_EQ(ParseTimestamp("2016-06-14 24:00:00").error().message(), "time of day out of range");
  EXPECT_EQ(ParseTimestamp("99999999999").error().message(),
            "timestamp outside 1970-01-01 .. 2200-01-01");
  EXPECT_EQ(ParseTimestamp("2200-01-01 00:00:00").error().message(),
            "timestamp outside 1970-01-01 .. 2200-01-01");
  EXPECT_FALSE(ParseTimestamp("2016-06-14 17:28:47 "));
  EXPECT_FALSE(ParseTimestamp("2016-06-14 17:28"));
}

TEST(TimestampTest, FormatsRoundTrip) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> dist(0, 7258118399999999);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t t = dist(rng);
    std::string epoch;
    AppendEpochSeconds(t, &epoch);
    ASSERT_EQ(ParseTimestamp(epoch), t) << epoch;
    std::string iso;
    AppendIso8601(t, &iso);
    ASSERT_EQ(ParseTimestamp(iso), t) << iso;
  }
  std::string text;
  AppendEpochSeconds(1518318207844800, &text);
  EXPECT_EQ(text, "1518318207.8448");
  text.clear();
  AppendIso8601(1465925327000000, &text);
  EXPECT_EQ(text, "2016-06-14T17:28:47Z");
}

TEST(TimestampTest, CivilDaysAgreeBothWays) {
  for (std::int64_t days = -1000; days < 200000; days += 7) {
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    CivilFromDays(days, &y, &m, &d);
    ASSERT_EQ(DaysFromCivil(y, m, d), days);
  }
}

}  // namespace
}  // namespace promorec::event
