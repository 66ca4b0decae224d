// GET /v1/recommendations?user=U&k=K[&product=P&category=C&country=CC&price=X]:
// the top-k eligible promotions for a shopper, scored by the current model
// against the shopper and context (country, category, product, and the
// hour and weekday of the request) with the shared-context kernel: the
// context is computed once, then each promotion costs one dot product.
//
//   200 {"user":"U","profile":true,"recommendations":[{"promotion_id":...,
//        "text":...,"score":0.123}, ...]}  (best first; scores are numbers)
//   400 no user, k outside 1..100, or a price that is not a number >= 0;
//   503 no model.
// The shopper's profile, when there is one ("profile": true), fills in the
// country, category and product the request leaves out (their last seen
// values) and says whether they are a new or a returning shopper.
// Eligibility (policy/eligibility.h): the promotion's validity window, its
// country, category and product lists, its minimum price (when the request
// gives a price) and its new/returning shopper rule. A promotion the model
// has never seen is scored on the context alone (the model's prior for an
// unknown offer).
// Thread-safety: Handle may run on many threads at once; the profile store
// may be updated meanwhile.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "promorec/event/catalogue.h"
#include "promorec/http/server.h"
#include "promorec/model/model_file.h"
#include "promorec/profile/profile_store.h"

namespace promorec::http {

class RecommendApi {
 public:
  // `profiles` may be null (no profiles); it must outlive the RecommendApi.
  RecommendApi(std::shared_ptr<const model::ModelFile> model,
               std::vector<event::Promotion> promotions,
               const profile::ProfileStore* profiles = nullptr);

  Response Handle(const Request& request, std::int64_t now_us) const;

 private:
  std::shared_ptr<const model::ModelFile> model_;
  std::vector<event::Promotion> promotions_;
  const profile::ProfileStore* profiles_;
  // Each promotion's feature index in the model's offer field, if any.
  std::vector<std::optional<std::uint32_t>> offer_index_;
  // Each promotion's answer up to its score: {"promotion_id":..,"text":..,"score":
  std::vector<std::string> json_prefix_;
};

}  // namespace promorec::http
