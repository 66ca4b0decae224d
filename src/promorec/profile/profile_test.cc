#include "promorec/profile/profile.h"

#include <gtest/gtest.h>

namespace promorec::profile {
namespace {

event::ClickEvent Event(std::int64_t t, std::string country, std::string category,
                        std::string product, std::uint8_t rating) {
  event::ClickEvent e;
  e.user_id = "u";
  e.timestamp_us = t;
  e.country = std::move(country);
  e.category = std::move(category);
  e.product = std::move(product);
  e.rating = rating;
  e.type = event::EventTypeFromRating(rating);
  return e;
}

TEST(ProfileTest, CountsAndLatestValues) {
  Profile p;
  ApplyEvent(Event(100, "de", "shoes", "p1", 0), &p);
  EXPECT_EQ(p.events, 1u);
  EXPECT_EQ(p.clicks, 0u);
  EXPECT_EQ(p.country, "de");
  EXPECT_EQ(p.first_seen_us, 100);
  EXPECT_EQ(p.last_seen_us, 100);
  ApplyEvent(Event(200, "", "bags", "p2", 1), &p);
  EXPECT_EQ(p.events, 2u);
  EXPECT_EQ(p.clicks, 1u);
  EXPECT_EQ(p.country, "de") << "an event without a country keeps the known one";
  EXPECT_EQ(p.last_category, "bags");
  EXPECT_EQ(p.last_product, "p2");
  EXPECT_EQ(p.last_seen_us, 200);
}

TEST(ProfileTest, LateOlderEventCountsButDoesNotOverwrite) {
  Profile p;
  ApplyEvent(Event(200, "fr", "bags", "p2", 0), &p);
  ApplyEvent(Event(50, "de", "shoes", "p1", 1), &p);
  EXPECT_EQ(p.country, "fr");
  EXPECT_EQ(p.last_product, "p2");
  EXPECT_EQ(p.events, 2u);
  EXPECT_EQ(p.clicks, 1u);
  EXPECT_EQ(p.first_seen_us, 50);
  EXPECT_EQ(p.last_seen_us, 200);
  ApplyEvent(Event(200, "at", "", "p3", 0), &p);
  EXPECT_EQ(p.country, "at") << "of equal timestamps the later applied wins";
  EXPECT_EQ(p.last_category, "bags");
}

TEST(ProfileTest, OverlongValuesAreNotKept) {
  Profile p;
  ApplyEvent(Event(1, std::string(300, 'x'), "c", "p", 0), &p);
  EXPECT_EQ(p.country, "");
  EXPECT_EQ(p.last_category, "c");
}

}  // namespace
}  // namespace promorec::profile
