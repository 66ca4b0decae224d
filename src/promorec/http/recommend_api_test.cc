#include "promorec/http/recommend_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "promorec/features/row_builder.h"
#include "promorec/model/predict.h"

namespace promorec::http {
namespace {

// A model whose offer "good" has a high linear weight, "bad" a low one,
// and "de_only" is only for shoppers in Germany.
std::shared_ptr<const model::ServingModel> Model(model::Loss loss = model::Loss::kLogistic) {
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
  return model::ServingModel::FromModelFile(model::ModelFile{
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
std::vector<model::Feature> AliceGoodInFrance(const model::ServingModel& model) {
  event::ClickEvent e;
  e.user_id = "alice";
  e.offer_id = "good";
  e.country = "fr";
  e.timestamp_us = 0;
  std::vector<model::Feature> row;
  features::BuildRow(model.dictionary(), e, &row);
  return row;
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
