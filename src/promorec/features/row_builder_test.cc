#include "promorec/features/row_builder.h"

#include <gtest/gtest.h>

#include "promorec/event/timestamp.h"

namespace promorec::features {
namespace {

event::ClickEvent Event(std::string user, std::string offer, std::string_view when) {
  event::ClickEvent e;
  e.user_id = std::move(user);
  e.offer_id = std::move(offer);
  e.country = "de";
  e.category = "100020213";
  e.product = "p1";
  e.timestamp_us = *event::ParseTimestamp(when);
  return e;
}

TEST(RowBuilderTest, HourAndWeekday) {
  // 2016-06-14 was a Tuesday.
  const std::int64_t t = *event::ParseTimestamp("2016-06-14 17:28:47.0");
  EXPECT_EQ(HourOfDay(t), 17u);
  EXPECT_EQ(DayOfWeek(t), 1u);
  EXPECT_EQ(DayOfWeek(*event::ParseTimestamp("1970-01-01 00:00:00")), 3u);
  EXPECT_EQ(DayOfWeek(*event::ParseTimestamp("2026-11-30 12:00:00")), 0u) << "a Monday";
}

TEST(RowBuilderTest, TrainingAddsServingLooksUp) {
  model::FeatureDictionary dictionary = NewEventDictionary();
  std::vector<model::Feature> row;
  BuildRowForTraining(&dictionary, Event("andy", "o1", "2016-06-14 17:28:47.0"), &row);
  ASSERT_EQ(row.size(), 7u);
  EXPECT_EQ(row[kHour].field, static_cast<std::uint32_t>(kHour));
  EXPECT_EQ(dictionary.name(row[kHour].index), "hour_17");
  EXPECT_EQ(dictionary.name(row[kWeekday].index), "weekday_1");
  EXPECT_EQ(dictionary.name(row[kProduct].index), "product_p1");
  // Serving: an unknown user contributes nothing; known values map to the
  // same indexes as in training.
  std::vector<model::Feature> served;
  BuildRow(dictionary, Event("zelda", "o1", "2016-06-14 17:00:00"), &served);
  ASSERT_EQ(served.size(), 6u);
  EXPECT_EQ(served[0].field, static_cast<std::uint32_t>(kOffer));
  EXPECT_EQ(served[0].index, row[kOffer].index);
  EXPECT_EQ(dictionary.size(), 7u) << "serving never adds";
}

TEST(RowBuilderTest, NoPromotionGivesNoOfferFeature) {
  model::FeatureDictionary dictionary = NewEventDictionary();
  std::vector<model::Feature> row;
  BuildRowForTraining(&dictionary, Event("andy", "0", "2016-06-14 17:28:47.0"), &row);
  EXPECT_EQ(row.size(), 6u);
  for (const auto& f : row) EXPECT_NE(f.field, static_cast<std::uint32_t>(kOffer));
}

}  // namespace
}  // namespace promorec::features
