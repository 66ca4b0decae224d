// GET /v1/recommendations?user=U&k=K[&product=P&category=C&country=CC]:
// the top-k eligible promotions for a shopper, scored by the current model
// against the shopper and context (country, category, product, and the
// hour and weekday of the request) with the shared-context kernel: the
// context is computed once, then each promotion costs one dot product.
//
//   200 {"user":"U","model":true,"recommendations":[{"promotion_id":...,
//        "text":...,"score":0.123}, ...]}  (best first; scores are numbers)
//   400 no user, or k outside 1..100; 503 no model.
// Eligibility: a promotion whose rules list countries, categories or
// products must match the request's; one outside its validity window is
// left out. A promotion the model has never seen is scored on the context
// alone (the model's prior for an unknown offer).
// Thread-safety: Handle may run on many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "promorec/event/catalogue.h"
#include "promorec/http/server.h"
#include "promorec/model/model_file.h"

namespace promorec::http {

class RecommendApi {
 public:
  RecommendApi(std::shared_ptr<const model::ModelFile> model,
               std::vector<event::Promotion> promotions);

  Response Handle(const Request& request, std::int64_t now_us) const;

 private:
  std::shared_ptr<const model::ModelFile> model_;
  std::vector<event::Promotion> promotions_;
  // Each promotion's feature index in the model's offer field, if any.
  std::vector<std::optional<std::uint32_t>> offer_index_;
};

}  // namespace promorec::http
