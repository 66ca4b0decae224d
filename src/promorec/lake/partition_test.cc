#include "promorec/lake/partition.h"

#include <gtest/gtest.h>

#include "promorec/event/timestamp.h"

namespace promorec::lake {
namespace {

// µs since the epoch of a UTC date and time.
std::int64_t At(std::int64_t y, unsigned mo, unsigned d, int h, int mi = 0, int s = 0, int us = 0) {
  return ((event::DaysFromCivil(y, mo, d) * 24 + h) * 3600 + mi * 60 + s) * 1'000'000LL + us;
}

TEST(PartitionTest, PathOfTheHourThatHoldsTheTime) {
  EXPECT_EQ(PartitionPath(At(2026, 12, 7, 20, 15, 3, 123456)), "year=2026/month=12/day=07/hour=20");
  EXPECT_EQ(PartitionPath(0), "year=1970/month=01/day=01/hour=00");
  EXPECT_EQ(TablePartitionPath("clicks", At(2026, 1, 2, 3)),
            "clicks/year=2026/month=01/day=02/hour=03");
}

TEST(PartitionTest, Boundaries) {
  // The last microsecond of an hour, a day, a month and a year, and the next.
  EXPECT_EQ(PartitionPath(At(2026, 3, 4, 5, 59, 59, 999999)), "year=2026/month=03/day=04/hour=05");
  EXPECT_EQ(PartitionPath(At(2026, 3, 4, 6)), "year=2026/month=03/day=04/hour=06");
  EXPECT_EQ(PartitionPath(At(2026, 3, 4, 23, 59, 59, 999999)), "year=2026/month=03/day=04/hour=23");
  EXPECT_EQ(PartitionPath(At(2026, 3, 5, 0)), "year=2026/month=03/day=05/hour=00");
  EXPECT_EQ(PartitionPath(At(2026, 4, 30, 23, 59, 59, 999999)),
            "year=2026/month=04/day=30/hour=23");
  EXPECT_EQ(PartitionPath(At(2026, 5, 1, 0)), "year=2026/month=05/day=01/hour=00");
  EXPECT_EQ(PartitionPath(At(2026, 12, 31, 23, 59, 59, 999999)),
            "year=2026/month=12/day=31/hour=23");
  EXPECT_EQ(PartitionPath(At(2027, 1, 1, 0)), "year=2027/month=01/day=01/hour=00");
  // Leap days.
  EXPECT_EQ(PartitionPath(At(2028, 2, 29, 12)), "year=2028/month=02/day=29/hour=12");
  EXPECT_EQ(PartitionPath(At(2028, 2, 29, 23, 59, 59, 999999) + 1),
            "year=2028/month=03/day=01/hour=00");
  EXPECT_EQ(PartitionPath(At(2100, 2, 28, 23) + 3'600'000'000LL),
            "year=2100/month=03/day=01/hour=00");  // 2100 is not a leap year
}

TEST(PartitionTest, TimesBeforeTheEpochLandInHourZero) {
  EXPECT_EQ(PartitionHour(-1), 0);
  EXPECT_EQ(PartitionPath(-5'000'000'000LL), "year=1970/month=01/day=01/hour=00");
}

TEST(PartitionTest, PartitionHourRoundsDown) {
  EXPECT_EQ(PartitionHour(At(2026, 3, 4, 5, 30)), At(2026, 3, 4, 5));
  EXPECT_EQ(PartitionHour(At(2026, 3, 4, 5)), At(2026, 3, 4, 5));
}

TEST(PartitionTest, ParseIsTheInverseOfPath) {
  for (const std::int64_t t :
       {std::int64_t{0}, At(2026, 12, 31, 23), At(2028, 2, 29, 7), At(9999, 12, 31, 23)}) {
    const auto hour = ParsePartitionPath(PartitionPath(t));
    ASSERT_TRUE(hour.has_value()) << PartitionPath(t);
    EXPECT_EQ(*hour, PartitionHour(t));
  }
}

TEST(PartitionTest, ParseRejectsWhatPathNeverWrites) {
  for (const char* bad :
       {"", "year=2026/month=12/day=07/hour=24", "year=2026/month=13/day=07/hour=01",
        "year=2026/month=02/day=30/hour=01", "year=2026/month=2/day=07/hour=01",
        "year=2026/month=12/day=07/hour=1", "year=2026/month=12/day=07/hour=0a",
        "year=2026/month=12/day=07/minute=01", "year=1969/month=12/day=31/hour=23",
        "year=2026/month=00/day=07/hour=01", "year=2026/month=12/day=00/hour=01"}) {
    EXPECT_FALSE(ParsePartitionPath(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace promorec::lake
