// Decide: for one shopper at one moment, which promotions to show and how
// they rank. The context is what the request says, with what it leaves out
// (country, category, product) taken from the shopper's profile; each
// promotion is checked against its eligibility rules (policy/), the
// eligible ones are scored by the model in service through features/ (the
// same rows training sees) with the shared-context kernel: the context is
// computed once, then each promotion costs one dot product. A promotion
// the model has never seen is scored on the context alone (the model's
// prior for an unknown offer). Every promotion is reported, with its score
// or the rule that removed it, so that a decision can be logged whole.
//
// GET /v1/recommendations is a thin adapter over Decide; the decision
// pipeline calls it too.
//
// Thread-safety: Decide may run on many threads at once while the model
// handle is swapped and the profiles are updated; each call reads the
// model in service once and uses it throughout. Per-thread scratch makes
// a call allocate nothing once warm (beyond `out` growing to the catalogue).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/catalogue.h"
#include "promorec/model/per_model.h"
#include "promorec/model/serving_model.h"
#include "promorec/policy/eligibility.h"
#include "promorec/profile/profile_store.h"

namespace promorec::decide {

// The most promotions one decision ranks.
inline constexpr std::size_t kMaxRanked = 100;

struct Request {
  std::string user_id;  // required
  // The request's context; an empty value is taken from the profile.
  std::string country;
  std::string category;
  std::string product;
  std::optional<double> price;  // for minimum-price rules; >= 0
  std::int64_t now_us = 0;      // validity windows, hour and weekday
  std::size_t k = 5;            // how many to rank, 1..kMaxRanked
  // With no model in service: false fails the call; true checks
  // eligibility and leaves every score 0 (the cold start, where the
  // policy chooses uniformly).
  bool allow_no_model = false;
};

struct Candidate {
  std::uint32_t promotion = 0;  // index in Decider::promotions()
  float score = 0.0f;           // what the model serves (ServedScore); 0 when removed
  std::optional<policy::Ineligible> removed_by;
};

struct Decision {
  std::string user_id;
  bool has_profile = false;
  // The context that was scored.
  std::string country;
  std::string category;
  std::string product;
  std::string model_version;  // empty without a model
  bool has_model = false;
  // Every promotion, in catalogue order.
  std::vector<Candidate> candidates;
  // Indices into `candidates` of the best eligible ones, best first (ties
  // by catalogue order), at most k.
  std::vector<std::uint32_t> ranked;
};

class Decider {
 public:
  // `models` and `profiles` must outlive the Decider; `profiles` may be
  // null (no shopper is known).
  Decider(const model::ServingModelHandle& models, std::vector<event::Promotion> promotions,
          const profile::ProfileStore* profiles = nullptr);
  ~Decider();
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  const std::vector<event::Promotion>& promotions() const { return promotions_; }

  // Fills `out` (reusing its storage). InvalidArgument for a request
  // without a user, a k outside 1..kMaxRanked or a negative price;
  // FailedPrecondition when no model is in service (unless the request
  // allows it).
  [[nodiscard]] base::Status Decide(const Request& request, Decision* out) const;
  [[nodiscard]] base::Result<Decision> Decide(const Request& request) const;

 private:
  const std::vector<event::Promotion> promotions_;
  const profile::ProfileStore* profiles_;
  // Each promotion's feature index in the offer field of the model in
  // service, if it has one.
  const model::PerModel<std::vector<std::optional<std::uint32_t>>> offer_index_;
};

}  // namespace promorec::decide
