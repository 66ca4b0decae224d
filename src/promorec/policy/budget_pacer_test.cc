#include "promorec/policy/budget_pacer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promorec::policy {
namespace {

constexpr std::int64_t kHour = 3'600'000'000LL;
constexpr std::int64_t kDay = 24 * kHour;

std::vector<event::Promotion> Catalogue() {
  std::vector<event::Promotion> promotions(3);
  promotions[0].id = "free";
  promotions[1].id = "daily24";
  promotions[1].budget.impressions_per_day = 24;
  promotions[2].id = "redeem2";
  promotions[2].budget.redemptions_per_day = 2;
  return promotions;
}

TEST(BudgetPacer, PacedAllowanceGrowsEvenlyThroughTheDay) {
  const std::int64_t day = 20000 * kDay;
  EXPECT_EQ(PacedAllowance(24, day), 1u);
  EXPECT_EQ(PacedAllowance(24, day + kHour - 1), 1u);
  EXPECT_EQ(PacedAllowance(24, day + kHour), 2u);
  EXPECT_EQ(PacedAllowance(24, day + 12 * kHour), 13u);
  EXPECT_EQ(PacedAllowance(24, day + kDay - 1), 24u);
  EXPECT_EQ(PacedAllowance(1, day), 1u);
  EXPECT_LE(PacedAllowance(~0ull, day + kDay - 1), ~0ull);
}

TEST(BudgetPacer, ImpressionBudgetIsPaced) {
  const auto promotions = Catalogue();
  BudgetPacer pacer(promotions);
  const std::int64_t day = 20000 * kDay;
  // Unlimited promotions are always allowed.
  for (int i = 0; i < 100; ++i) pacer.RecordImpression(0, day);
  EXPECT_TRUE(pacer.Allows(0, day));
  // One per hour of the day so far, plus one.
  EXPECT_TRUE(pacer.Allows(1, day));
  pacer.RecordImpression(1, day);
  EXPECT_FALSE(pacer.Allows(1, day + 10));
  EXPECT_TRUE(pacer.Allows(1, day + kHour));
  pacer.RecordImpression(1, day + kHour);
  EXPECT_FALSE(pacer.Allows(1, day + kHour));
  // Unused budget carries over within the day.
  EXPECT_TRUE(pacer.Allows(1, day + 10 * kHour));
  // A new day starts from zero.
  for (int i = 0; i < 24; ++i) pacer.RecordImpression(1, day + 23 * kHour);
  EXPECT_FALSE(pacer.Allows(1, day + kDay - 1));
  EXPECT_TRUE(pacer.Allows(1, day + kDay));
}

TEST(BudgetPacer, RedemptionBudget) {
  const auto promotions = Catalogue();
  BudgetPacer pacer(promotions);
  const std::int64_t noon = 20000 * kDay + 12 * kHour;
  EXPECT_TRUE(pacer.Allows(2, noon));
  pacer.RecordRedemption(2, noon);
  pacer.RecordRedemption(2, noon);
  EXPECT_FALSE(pacer.Allows(2, noon));
  EXPECT_EQ(pacer.redemptions(2), 2u);
}

TEST(BudgetPacer, EncodeDecodeByPromotionId) {
  auto promotions = Catalogue();
  BudgetPacer pacer(promotions);
  const std::int64_t day = 20000 * kDay;
  pacer.RecordImpression(1, day);
  std::string bytes;
  pacer.Encode(&bytes);
  // The catalogue changed: a promotion was added in front.
  event::Promotion added;
  added.id = "new";
  added.budget.impressions_per_day = 5;
  promotions.insert(promotions.begin(), added);
  BudgetPacer back(promotions);
  ASSERT_TRUE(back.Decode(bytes));
  EXPECT_EQ(back.impressions(2), 1u);
  EXPECT_FALSE(back.Allows(2, day));
  EXPECT_TRUE(back.Allows(0, day));
  EXPECT_FALSE(back.Decode(bytes.substr(0, bytes.size() - 1)));
}

}  // namespace
}  // namespace promorec::policy
