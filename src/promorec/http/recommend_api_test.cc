#include "promorec/http/recommend_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "promorec/decide/decider_test_util.h"
#include "promorec/model/predict.h"

namespace promorec::http {
namespace {

using decide::testing::AliceGoodInFrance;

std::shared_ptr<const model::ServingModel> Model() { return decide::testing::GoodBadModel(); }

std::vector<event::Promotion> Promotions() { return decide::testing::GoodBadPromotions(); }

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

TEST(RecommendApiTest, RanksByModelScoreAndHonoursEligibility) {
  const model::ServingModelHandle models(Model());
  const decide::Decider decider(models, Promotions());
  const RecommendApi api(decider);
  const auto model = models.Get();
  const auto fr = Parse(api.Handle(Get({{"user", "alice"}, {"country", "fr"}, {"k", "10"}}), 0));
  ASSERT_EQ(fr.size(), 3u) << "de_only is not for France";
  EXPECT_EQ(fr[0].first, "good");
  EXPECT_EQ(fr[2].first, "bad");
  const auto de = Parse(api.Handle(Get({{"user", "alice"}, {"country", "de"}, {"k", "10"}}), 0));
  EXPECT_EQ(de.size(), 4u);
  // The score is the model's probability for the joined row.
  std::vector<model::Feature> scratch;
  const std::vector<model::Feature> row = AliceGoodInFrance(*model);
  EXPECT_NEAR(fr[0].second, model::PredictProbability(model->params(), row, true, &scratch), 1e-5);
  const auto top1 = Parse(api.Handle(Get({{"user", "alice"}, {"k", "1"}}), 0));
  ASSERT_EQ(top1.size(), 1u);
  EXPECT_EQ(top1[0].first, "good");
}

TEST(RecommendApiTest, ErrorsSayWhy) {
  const model::ServingModelHandle models(Model());
  const decide::Decider decider(models, Promotions());
  const RecommendApi api(decider);
  EXPECT_EQ(api.Handle(Get({}), 0).status, 400);
  EXPECT_EQ(api.Handle(Get({{"user", "a"}, {"k", "0"}}), 0).status, 400);
  EXPECT_EQ(api.Handle(Get({{"user", "a"}, {"k", "x"}}), 0).status, 400);
  const model::ServingModelHandle no_model;
  const decide::Decider undecided(no_model, Promotions());
  const RecommendApi none(undecided);
  EXPECT_EQ(none.Handle(Get({{"user", "a"}}), 0).status, 503);
}

}  // namespace
}  // namespace promorec::http
