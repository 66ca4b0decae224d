#include "promorec/http/recommend_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "promorec/features/row_builder.h"
#include "promorec/model/predict.h"
#include "promorec/profile/profile_store.h"

namespace promorec::http {
namespace {

// A model whose offer "good" has a high linear weight, "bad" a low one,
// and "de_only" is only for shoppers in Germany.
std::shared_ptr<const model::ModelFile> Model(model::Loss loss = model::Loss::kLogistic) {
  model::FeatureDictionary dictionary = features::NewEventDictionary();
  dictionary.Add(features::kUser, "alice");
  const std::uint32_t good = dictionary.Add(features::kOffer, "good");
  const std::uint32_t bad = dictionary.Add(features::kOffer, "bad");
  dictionary.Add(features::kCountry, "de");
  auto params =
      model::FfmParams::Create({model::ModelType::kFfm, dictionary.size(), 7, 4}, 3, 0.1f);
  EXPECT_TRUE(params);
  params->linear()[good] = 2;
  params->linear()[bad] = -2;
  return std::make_shared<const model::ModelFile>(model::ModelFile{
      std::move(*params), std::move(dictionary), loss, true, std::nullopt, {}, {}, {}});
}

std::vector<event::Promotion> Promotions() {
  std::vector<event::Promotion> out(4);
  out[0].id = "bad";
  out[0].text = "Bad deal";
  out[1].id = "good";
  out[1].text = "Great \"deal\"";
  out[2].id = "never-seen";
  out[2].text = "New";
  out[3].id = "de_only";
  out[3].text = "Nur in DE";
  out[3].eligibility.countries = {"de"};
  return out;
}

Request Get(std::map<std::string, std::string> query) {
  Request r;
  r.method = "GET";
  r.path = "/v1/recommendations";
  r.query = std::move(query);
  return r;
}

std::vector<std::pair<std::string, double>> Parse(const Response& response) {
  simdjson::dom::parser parser;
  std::vector<std::pair<std::string, double>> out;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(response.body).get(doc), simdjson::SUCCESS) << response.body;
  for (simdjson::dom::element item : doc["recommendations"].get_array()) {
    EXPECT_TRUE(item["score"].is_number()) << "a number, not a string: " << response.body;
    out.emplace_back(std::string(item["promotion_id"].get_string().value()),
                     item["score"].get_double().value());
  }
  return out;
}

// The model's row for alice looking at "good" from France.
std::vector<model::Feature> AliceGoodInFrance(const model::ModelFile& model) {
  event::ClickEvent e;
  e.user_id = "alice";
  e.offer_id = "good";
  e.country = "fr";
  e.timestamp_us = 0;
  std::vector<model::Feature> row;
  features::BuildRow(model.dictionary, e, &row);
  return row;
}

TEST(RecommendApiTest, RanksByModelScoreAndHonoursEligibility) {
  const auto model = Model();
  const RecommendApi api(model, Promotions());
  const auto fr = Parse(api.Handle(Get({{"user", "alice"}, {"country", "fr"}, {"k", "10"}}), 0));
  ASSERT_EQ(fr.size(), 3u) << "de_only is not for France";
  EXPECT_EQ(fr[0].first, "good");
  EXPECT_EQ(fr[2].first, "bad");
  const auto de = Parse(api.Handle(Get({{"user", "alice"}, {"country", "de"}, {"k", "10"}}), 0));
  EXPECT_EQ(de.size(), 4u);
  // The score is the model's probability for the joined row.
  std::vector<model::Feature> scratch;
  const std::vector<model::Feature> row = AliceGoodInFrance(*model);
  EXPECT_NEAR(fr[0].second, model::PredictProbability(model->params, row, true, &scratch), 1e-5);
  const auto top1 = Parse(api.Handle(Get({{"user", "alice"}, {"k", "1"}}), 0));
  ASSERT_EQ(top1.size(), 1u);
  EXPECT_EQ(top1[0].first, "good");
}

// A squared-loss model's score is its predicted value, not a probability.
TEST(RecommendApiTest, ASquaredLossModelScoresWithItsPredictedValue) {
  const auto model = Model(model::Loss::kSquared);
  const RecommendApi api(model, Promotions());
  const auto fr = Parse(api.Handle(Get({{"user", "alice"}, {"country", "fr"}, {"k", "10"}}), 0));
  ASSERT_EQ(fr.size(), 3u);
  EXPECT_EQ(fr[0].first, "good");
  std::vector<model::Feature> scratch;
  const std::vector<model::Feature> row = AliceGoodInFrance(*model);
  EXPECT_NEAR(fr[0].second, model::PredictLogit(model->params, row, true, &scratch), 1e-5);
  EXPECT_GT(fr[0].second, 1.0) << "the linear weight 2 shows through";
}

bool ProfileFlag(const Response& response) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  EXPECT_EQ(parser.parse(response.body).get(doc), simdjson::SUCCESS) << response.body;
  bool flag = false;
  EXPECT_EQ(doc.at_key("profile").get(flag), simdjson::SUCCESS) << response.body;
  return flag;
}

std::vector<std::string> Ids(const Response& response) {
  std::vector<std::string> out;
  for (const auto& [id, score] : Parse(response)) out.push_back(id);
  return out;
}

event::ClickEvent Click(std::string user, std::string country, std::uint8_t rating) {
  event::ClickEvent e;
  e.user_id = std::move(user);
  e.country = std::move(country);
  e.product = "p1";
  e.category = "shoes";
  e.timestamp_us = 100;
  e.rating = rating;
  return e;
}

// The profile fills in the country the request leaves out, and a request's
// own country wins over it.
TEST(RecommendApiTest, ProfileFillsTheContext) {
  profile::ProfileStore profiles;
  const RecommendApi api(Model(), Promotions(), &profiles);
  const Response before = api.Handle(Get({{"user", "alice"}, {"k", "10"}}), 0);
  EXPECT_FALSE(ProfileFlag(before));
  EXPECT_EQ(Parse(before).size(), 3u) << "de_only needs a country";
  profiles.Apply(Click("alice", "de", 0));
  const Response after = api.Handle(Get({{"user", "alice"}, {"k", "10"}}), 0);
  EXPECT_TRUE(ProfileFlag(after));
  const auto ids = Ids(after);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "de_only"), ids.end());
  EXPECT_EQ(Parse(api.Handle(Get({{"user", "alice"}, {"country", "fr"}, {"k", "10"}}), 0)).size(),
            3u);
  EXPECT_FALSE(ProfileFlag(api.Handle(Get({{"user", "bob"}}), 0)));
}

TEST(RecommendApiTest, ShopperRulesPriceAndValidity) {
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
  profile::ProfileStore profiles;
  const RecommendApi api(Model(), promotions, &profiles);
  auto sorted = [](std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_EQ(sorted(Ids(api.Handle(Get({{"user", "carol"}, {"k", "10"}}), 0))),
            (std::vector<std::string>{"big", "welcome"}));
  EXPECT_EQ(sorted(Ids(api.Handle(Get({{"user", "carol"}, {"k", "10"}, {"price", "20"}}), 1000))),
            (std::vector<std::string>{"later", "welcome"}));
  profiles.Apply(Click("carol", "", 0));
  EXPECT_EQ(sorted(Ids(api.Handle(Get({{"user", "carol"}, {"k", "10"}}), 0))),
            (std::vector<std::string>{"big", "welcome"}))
      << "views alone do not make a returning shopper";
  profiles.Apply(Click("carol", "", 1));
  EXPECT_EQ(sorted(Ids(api.Handle(Get({{"user", "carol"}, {"k", "10"}, {"price", "50"}}), 0))),
            (std::vector<std::string>{"big", "loyal"}));
  EXPECT_EQ(api.Handle(Get({{"user", "carol"}, {"price", "-1"}}), 0).status, 400);
  EXPECT_EQ(api.Handle(Get({{"user", "carol"}, {"price", "cheap"}}), 0).status, 400);
}

TEST(RecommendApiTest, ErrorsSayWhy) {
  const RecommendApi api(Model(), Promotions());
  EXPECT_EQ(api.Handle(Get({}), 0).status, 400);
  EXPECT_EQ(api.Handle(Get({{"user", "a"}, {"k", "0"}}), 0).status, 400);
  EXPECT_EQ(api.Handle(Get({{"user", "a"}, {"k", "x"}}), 0).status, 400);
  const RecommendApi none(nullptr, Promotions());
  EXPECT_EQ(none.Handle(Get({{"user", "a"}}), 0).status, 503);
}

}  // namespace
}  // namespace promorec::http
