// Test-only: a small model and catalogue whose ranking is known, shared by
// the decider's tests and those of the routes over it. The model's offer
// "good" has a high linear weight, "bad" a low one; "never-seen" is unknown
// to it, and "de_only" is only for shoppers in Germany.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "promorec/event/catalogue.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/serving_model.h"

namespace promorec::decide::testing {

inline std::shared_ptr<const model::ServingModel> GoodBadModel(
    model::Loss loss = model::Loss::kLogistic) {
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

inline std::vector<event::Promotion> GoodBadPromotions() {
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

// The model's row for alice looking at "good" from France.
inline std::vector<model::Feature> AliceGoodInFrance(const model::ServingModel& model) {
  event::ClickEvent e;
  e.user_id = "alice";
  e.offer_id = "good";
  e.country = "fr";
  e.timestamp_us = 0;
  std::vector<model::Feature> row;
  features::BuildRow(model.dictionary(), e, &row);
  return row;
}

}  // namespace promorec::decide::testing
