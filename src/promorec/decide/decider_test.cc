#include "promorec/decide/decider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "promorec/decide/decider_test_util.h"
#include "promorec/model/predict.h"

namespace promorec::decide {
namespace {

using testing::AliceGoodInFrance;

std::shared_ptr<const model::ServingModel> Model(model::Loss loss = model::Loss::kLogistic) {
  return testing::GoodBadModel(loss);
}

std::vector<event::Promotion> Promotions() { return testing::GoodBadPromotions(); }

Request Ask(std::string user, std::string country = "", std::size_t k = 10) {
  Request r;
  r.user_id = std::move(user);
  r.country = std::move(country);
  r.k = k;
  return r;
}

// The ranked promotions' ids, best first.
std::vector<std::string> Ids(const Decider& decider, const Decision& d) {
  std::vector<std::string> out;
  for (const std::uint32_t i : d.ranked)
    out.push_back(decider.promotions()[d.candidates[i].promotion].id);
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(DeciderTest, RanksByModelScoreAndHonoursEligibility) {
  const model::ServingModelHandle models(Model());
  const Decider decider(models, Promotions());
  const Decision fr = *decider.Decide(Ask("alice", "fr"));
  EXPECT_EQ(Ids(decider, fr), (std::vector<std::string>{"good", "never-seen", "bad"}))
      << "de_only is not for France";
  ASSERT_EQ(fr.candidates.size(), 4u) << "every promotion is reported";
  EXPECT_EQ(fr.candidates[3].removed_by, policy::Ineligible::kCountry);
  EXPECT_FALSE(fr.candidates[1].removed_by);
  EXPECT_EQ(Ids(decider, *decider.Decide(Ask("alice", "de"))).size(), 4u);
  // The score is the model's probability for the joined row.
  std::vector<model::Feature> scratch;
  const auto row = AliceGoodInFrance(*models.Get());
  EXPECT_NEAR(fr.candidates[1].score,
              model::PredictProbability(models.Get()->params(), row, true, &scratch), 1e-5);
  EXPECT_EQ(fr.model_version, models.Get()->version());
  const Decision top1 = *decider.Decide(Ask("alice", "", 1));
  EXPECT_EQ(Ids(decider, top1), (std::vector<std::string>{"good"}));
}

// A squared-loss model's score is its predicted value, not a probability.
TEST(DeciderTest, ASquaredLossModelScoresWithItsPredictedValue) {
  const model::ServingModelHandle models(Model(model::Loss::kSquared));
  const Decider decider(models, Promotions());
  const Decision fr = *decider.Decide(Ask("alice", "fr"));
  ASSERT_EQ(fr.ranked.size(), 3u);
  EXPECT_EQ(Ids(decider, fr)[0], "good");
  std::vector<model::Feature> scratch;
  const auto row = AliceGoodInFrance(*models.Get());
  const float score = fr.candidates[fr.ranked[0]].score;
  EXPECT_NEAR(score, model::PredictLogit(models.Get()->params(), row, true, &scratch), 1e-5);
  EXPECT_GT(score, 1.0) << "the linear weight 2 shows through";
}

event::ClickEvent Click(std::string user, std::string country, std::uint8_t rating) {
  event::ClickEvent e;
  e.user_id = std::move(user);
  e.country = std::move(country);
  e.product = "p1";
  e.category = "shoes";
  e.timestamp_us = 100;
  e.rating = rating;
  e.type = event::EventTypeFromRating(rating);
  return e;
}

// The profile fills in the country the request leaves out, and a request's
// own country wins over it.
TEST(DeciderTest, ProfileFillsTheContext) {
  const model::ServingModelHandle models(Model());
  profile::ProfileStore profiles;
  const Decider decider(models, Promotions(), &profiles);
  const Decision before = *decider.Decide(Ask("alice"));
  EXPECT_FALSE(before.has_profile);
  EXPECT_EQ(before.ranked.size(), 3u) << "de_only needs a country";
  profiles.Apply(Click("alice", "de", 0));
  const Decision after = *decider.Decide(Ask("alice"));
  EXPECT_TRUE(after.has_profile);
  EXPECT_EQ(after.country, "de");
  EXPECT_EQ(after.category, "shoes");
  const auto ids = Ids(decider, after);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "de_only"), ids.end());
  EXPECT_EQ(decider.Decide(Ask("alice", "fr"))->ranked.size(), 3u);
  EXPECT_FALSE(decider.Decide(Ask("bob"))->has_profile);
}

TEST(DeciderTest, ShopperRulesPriceAndValidity) {
  std::vector<event::Promotion> promotions(4);
  promotions[0].id = "welcome";
  promotions[0].eligibility.shoppers = event::ShopperRule::kNewOnly;
  promotions[1].id = "loyal";
  promotions[1].eligibility.shoppers = event::ShopperRule::kReturningOnly;
  promotions[2].id = "big";
  promotions[2].eligibility.min_price = 50;
  promotions[3].id = "later";
  promotions[3].valid_from_us = 1000;
  for (auto& p : promotions) p.text = p.id;
  const model::ServingModelHandle models(Model());
  profile::ProfileStore profiles;
  const Decider decider(models, promotions, &profiles);
  const auto ids = [&decider](std::optional<double> price, std::int64_t now_us) {
    Request r = Ask("carol");
    r.price = price;
    r.now_us = now_us;
    return Sorted(Ids(decider, *decider.Decide(r)));
  };
  EXPECT_EQ(ids(std::nullopt, 0), (std::vector<std::string>{"big", "welcome"}));
  EXPECT_EQ(ids(20, 1000), (std::vector<std::string>{"later", "welcome"}));
  profiles.Apply(Click("carol", "", 0));
  EXPECT_EQ(ids(std::nullopt, 0), (std::vector<std::string>{"big", "welcome"}))
      << "views alone do not make a returning shopper";
  profiles.Apply(Click("carol", "", 1));
  EXPECT_EQ(ids(50, 0), (std::vector<std::string>{"big", "loyal"}));
  Request negative = Ask("carol");
  negative.price = -1;
  EXPECT_EQ(decider.Decide(negative).error().code(), base::Code::kInvalidArgument);
}

TEST(DeciderTest, ErrorsSayWhy) {
  const model::ServingModelHandle models(Model());
  const Decider decider(models, Promotions());
  EXPECT_EQ(decider.Decide(Ask("")).error().message(), "user is required");
  EXPECT_EQ(decider.Decide(Ask("a", "", 0)).error().message(),
            "k must be a whole number in 1..100");
  EXPECT_FALSE(decider.Decide(Ask("a", "", 101)));
  const model::ServingModelHandle none;
  const Decider without(none, Promotions());
  EXPECT_EQ(without.Decide(Ask("a")).error().code(), base::Code::kFailedPrecondition);
}

// A model swapped in is used from the next decision on, and the old one is
// not kept alive by the decider's threads.
TEST(DeciderTest, AModelSwappedInServesTheNextDecision) {
  model::ServingModelHandle models(Model());
  const Decider decider(models, Promotions());
  const Decision logistic = *decider.Decide(Ask("alice", "fr"));
  std::weak_ptr<const model::ServingModel> old = models.Get();
  models.Set(Model(model::Loss::kSquared));
  const Decision squared = *decider.Decide(Ask("alice", "fr"));
  EXPECT_LT(logistic.candidates[1].score, 1.0f);
  EXPECT_GT(squared.candidates[1].score, 1.0f);
  EXPECT_TRUE(old.expired()) << "nothing holds the model taken out of service";
}

}  // namespace
}  // namespace promorec::decide
