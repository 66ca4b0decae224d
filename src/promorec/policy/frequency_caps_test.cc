#include "promorec/policy/frequency_caps.h"

#include <gtest/gtest.h>

#include <string>

namespace promorec::policy {
namespace {

constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t kHour = 60 * kMinute;

TEST(FrequencyCaps, PerUserSlidingWindow) {
  FrequencyCaps caps;  // 3 per hour
  EXPECT_FALSE(caps.UserCapped("u", 0));
  caps.Record("u", "a", 0);
  caps.Record("u", "b", 10 * kMinute);
  caps.Record("u", "c", 20 * kMinute);
  EXPECT_TRUE(caps.UserCapped("u", 30 * kMinute));
  EXPECT_FALSE(caps.UserCapped("other", 30 * kMinute));
  // The window slides: the first decision leaves it one hour later.
  EXPECT_TRUE(caps.UserCapped("u", kHour - 1));
  EXPECT_FALSE(caps.UserCapped("u", kHour));
  caps.Record("u", "d", kHour);
  EXPECT_TRUE(caps.UserCapped("u", kHour + 1));
}

TEST(FrequencyCaps, SamePromotionOncePerDay) {
  FrequencyCaps caps;
  caps.Record("u", "a", 0);
  EXPECT_TRUE(caps.PromotionCapped("u", "a", kHour));
  EXPECT_FALSE(caps.PromotionCapped("u", "b", kHour));
  EXPECT_FALSE(caps.PromotionCapped("v", "a", kHour));
  EXPECT_TRUE(caps.PromotionCapped("u", "a", 24 * kHour - 1));
  EXPECT_FALSE(caps.PromotionCapped("u", "a", 24 * kHour));
}

TEST(FrequencyCaps, OptionsAreValidated) {
  EXPECT_TRUE(FrequencyCapOptions{}.Validate());
  FrequencyCapOptions bad;
  bad.per_user_max = 0;
  EXPECT_FALSE(bad.Validate());
  bad = {};
  bad.per_promotion_window_us = 0;
  EXPECT_FALSE(bad.Validate());
}

TEST(FrequencyCaps, PruneDropsShoppersOutsideEveryWindow) {
  FrequencyCaps caps;
  caps.Record("old", "a", 0);
  caps.Record("new", "a", 30 * kHour);
  EXPECT_EQ(caps.Prune(30 * kHour), 1u);
  EXPECT_EQ(caps.users(), 1u);
  EXPECT_TRUE(caps.PromotionCapped("new", "a", 30 * kHour));
}

TEST(FrequencyCaps, EncodeDecodeKeepsTheCaps) {
  FrequencyCaps caps;
  caps.Record("u", "a", 0);
  caps.Record("u", "b", kMinute);
  caps.Record("v", "a", kMinute);
  std::string bytes;
  caps.Encode(&bytes);
  FrequencyCaps back;
  ASSERT_TRUE(back.Decode(bytes));
  EXPECT_TRUE(back.PromotionCapped("u", "b", kHour));
  EXPECT_TRUE(back.PromotionCapped("v", "a", kHour));
  EXPECT_FALSE(back.PromotionCapped("v", "b", kHour));
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    FrequencyCaps damaged;
    EXPECT_FALSE(damaged.Decode(std::string_view(bytes).substr(0, cut))) << cut;
  }
  EXPECT_FALSE(back.Decode(bytes + "x"));
}

// A snapshot begun, then encoded while shoppers are shown more and pruned,
// is of its moment: decoded, it caps exactly as the caps did then.
TEST(FrequencyCaps, ASnapshotIsOfItsMomentWhateverIsRecordedAfter) {
  FrequencyCapOptions options;
  options.per_user_max = 2;
  FrequencyCaps caps(options);
  FrequencyCaps reference(options);
  for (int u = 0; u < 200; ++u) {
    const std::string user = "u" + std::to_string(u);
    caps.Record(user, "a", u % 2 == 0 ? 0 : 30 * kHour);
    reference.Record(user, "a", u % 2 == 0 ? 0 : 30 * kHour);
  }
  caps.BeginSnapshot();
  for (int u = 0; u < 400; ++u) caps.Record("u" + std::to_string(u), "b", 30 * kHour + kMinute);
  EXPECT_EQ(caps.Prune(30 * kHour + kMinute), 0u);  // those shown at 0 were shown again
  EXPECT_EQ(caps.Prune(60 * kHour), 400u);
  std::string bytes;
  caps.EncodeBegunSnapshot(&bytes);
  FrequencyCaps back(options);
  ASSERT_TRUE(back.Decode(bytes));
  EXPECT_EQ(back.users(), 200u);
  for (int u = 0; u < 400; ++u) {
    const std::string user = "u" + std::to_string(u);
    for (const char* promotion : {"a", "b"}) {
      EXPECT_EQ(back.PromotionCapped(user, promotion, 30 * kHour + kMinute),
                reference.PromotionCapped(user, promotion, 30 * kHour + kMinute))
          << user << " " << promotion;
    }
  }
  // Unchanged shoppers and changed ones alike.
  EXPECT_TRUE(back.PromotionCapped("u1", "a", 30 * kHour + kMinute));
  EXPECT_FALSE(back.PromotionCapped("u1", "b", 30 * kHour + kMinute));
  EXPECT_FALSE(back.PromotionCapped("u300", "b", 30 * kHour + kMinute));
}

}  // namespace
}  // namespace promorec::policy
