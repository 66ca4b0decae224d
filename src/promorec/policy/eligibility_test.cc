#include "promorec/policy/eligibility.h"

#include <gtest/gtest.h>

namespace promorec::policy {
namespace {

event::Promotion Open() {
  event::Promotion p;
  p.id = "p";
  p.text = "t";
  return p;
}

EligibilityContext Context() {
  EligibilityContext c;
  c.country = "de";
  c.category = "shoes";
  c.product = "p1";
  c.now_us = 1'000'000;
  return c;
}

TEST(EligibilityTest, NoRulesMeansEveryone) {
  EXPECT_TRUE(Eligible(Open(), Context()));
  EXPECT_TRUE(Eligible(Open(), EligibilityContext{}));
}

TEST(EligibilityTest, ValidityWindow) {
  event::Promotion p = Open();
  p.valid_from_us = 1'000'000;
  p.valid_until_us = 2'000'000;
  EligibilityContext c = Context();
  c.now_us = 999'999;
  EXPECT_EQ(WhyIneligible(p, c), Ineligible::kNotYetValid);
  c.now_us = 1'000'000;
  EXPECT_EQ(WhyIneligible(p, c), std::nullopt) << "valid_from is inclusive";
  c.now_us = 2'000'000;
  EXPECT_EQ(WhyIneligible(p, c), Ineligible::kExpired) << "valid_until is exclusive";
}

TEST(EligibilityTest, CountryIgnoresAsciiCaseAndNeedsAValue) {
  event::Promotion p = Open();
  p.eligibility.countries = {"AT", "de"};
  EligibilityContext c = Context();
  EXPECT_TRUE(Eligible(p, c));
  c.country = "at";
  EXPECT_TRUE(Eligible(p, c));
  c.country = "fr";
  EXPECT_EQ(WhyIneligible(p, c), Ineligible::kCountry);
  c.country = "";
  EXPECT_EQ(WhyIneligible(p, c), Ineligible::kCountry);
}

TEST(EligibilityTest, CategoryAndProductMatchExactly) {
  event::Promotion p = Open();
  p.eligibility.categories = {"shoes"};
  EligibilityContext c = Context();
  EXPECT_TRUE(Eligible(p, c));
  c.category = "Shoes";
  EXPECT_EQ(WhyIneligible(p, c), Ineligible::kCategory);
  p = Open();
  p.eligibility.products = {"p2", "p3"};
  EXPECT_EQ(WhyIneligible(p, Context()), Ineligible::kProduct);
  c = Context();
  c.product = "p3";
  EXPECT_TRUE(Eligible(p, c));
}

TEST(EligibilityTest, MinPriceOnlyWhenThePriceIsKnown) {
  event::Promotion p = Open();
  p.eligibility.min_price = 20;
  EligibilityContext c = Context();
  EXPECT_TRUE(Eligible(p, c));
  c.price = 19.99;
  EXPECT_EQ(WhyIneligible(p, c), Ineligible::kBelowMinPrice);
  c.price = 20;
  EXPECT_TRUE(Eligible(p, c));
}

TEST(EligibilityTest, NewAndReturningShoppers) {
  event::Promotion first = Open();
  first.eligibility.shoppers = event::ShopperRule::kNewOnly;
  event::Promotion loyal = Open();
  loyal.eligibility.shoppers = event::ShopperRule::kReturningOnly;
  EligibilityContext c = Context();
  // No profile: a new shopper.
  EXPECT_TRUE(Eligible(first, c));
  EXPECT_EQ(WhyIneligible(loyal, c), Ineligible::kNotReturningShopper);
  // A profile with views only: still new.
  c.shopper_clicks = 0;
  EXPECT_TRUE(Eligible(first, c));
  EXPECT_FALSE(Eligible(loyal, c));
  c.shopper_clicks = 3;
  EXPECT_EQ(WhyIneligible(first, c), Ineligible::kNotNewShopper);
  EXPECT_TRUE(Eligible(loyal, c));
}

TEST(EligibilityTest, FirstFailingRuleIsReported) {
  event::Promotion p = Open();
  p.valid_until_us = 0;
  p.eligibility.countries = {"fr"};
  EXPECT_EQ(WhyIneligible(p, Context()), Ineligible::kExpired);
  EXPECT_EQ(IneligibleName(Ineligible::kExpired), "expired");
  EXPECT_EQ(IneligibleName(Ineligible::kNotReturningShopper), "not_returning_shopper");
}

}  // namespace
}  // namespace promorec::policy
