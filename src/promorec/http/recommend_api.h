// GET /v1/recommendations?user=U&k=K[&product=P&category=C&country=CC&price=X]:
// the top-k eligible promotions for a shopper (decide/decider.h), scored
// against the shopper and context (country, category, product, and the
// hour and weekday of the request). A side-effect-free ranking: nothing is
// logged, capped or counted against a budget.
//
//   200 {"user":"U","profile":true,"recommendations":[{"promotion_id":...,
//        "text":...,"score":0.123}, ...]}  (best first; scores are numbers)
//   400 no user, k outside 1..100, or a price that is not a number >= 0;
//   503 no model.
// "profile": true when the shopper has a profile, which fills in the
// context the request leaves out and decides the new/returning rules.
// Thread-safety: Handle may run on many threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "promorec/decide/decider.h"
#include "promorec/http/server.h"

namespace promorec::http {

class RecommendApi {
 public:
  // `decider` must outlive the RecommendApi.
  explicit RecommendApi(const decide::Decider& decider);

  Response Handle(const Request& request, std::int64_t now_us) const;

 private:
  const decide::Decider& decider_;
  // Each promotion's answer up to its score: {"promotion_id":..,"text":..,"score":
  std::vector<std::string> json_prefix_;
};

}  // namespace promorec::http
