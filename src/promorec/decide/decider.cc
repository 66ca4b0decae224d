#include "promorec/decide/decider.h"

#include <algorithm>
#include <cmath>

#include "promorec/features/row_builder.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::decide {

Decider::Decider(const model::ServingModelHandle& models, std::vector<event::Promotion> promotions,
                 const profile::ProfileStore* profiles)
    : promotions_(std::move(promotions)),
      profiles_(profiles),
      offer_index_(models, [this](const model::ServingModel& model) {
        std::vector<std::optional<std::uint32_t>> index;
        index.reserve(promotions_.size());
        for (const event::Promotion& p : promotions_) {
          index.push_back(model.dictionary().Find(features::kOffer, p.id));
        }
        return index;
      }) {}

Decider::~Decider() = default;

base::Status Decider::Decide(const Request& request, Decision* out) const {
  if (request.user_id.empty()) return base::InvalidArgument("user is required");
  if (request.k < 1 || request.k > kMaxRanked) {
    return base::InvalidArgument("k must be a whole number in 1.." + std::to_string(kMaxRanked));
  }
  if (request.price && (!std::isfinite(*request.price) || *request.price < 0)) {
    return base::InvalidArgument("price must be a number >= 0");
  }
  // Holds the model for this call.
  const auto bound = offer_index_.Current();
  if (!bound && !request.allow_no_model) {
    return base::FailedPrecondition("no model: start with --model DIR");
  }

  const std::optional<profile::Profile> shopper =
      profiles_ != nullptr ? profiles_->Lookup(request.user_id) : std::nullopt;
  const profile::Profile none;
  const profile::Profile& known = shopper ? *shopper : none;
  out->user_id = request.user_id;
  out->has_profile = shopper.has_value();
  out->country = request.country.empty() ? known.country : request.country;
  out->category = request.category.empty() ? known.last_category : request.category;
  out->product = request.product.empty() ? known.last_product : request.product;

  policy::EligibilityContext eligibility;
  eligibility.country = out->country;
  eligibility.category = out->category;
  eligibility.product = out->product;
  eligibility.price = request.price;
  eligibility.now_us = request.now_us;
  if (shopper) eligibility.shopper_clicks = shopper->clicks;

  out->candidates.resize(promotions_.size());
  out->ranked.clear();
  if (!bound) {
    out->model_version.clear();
    out->has_model = false;
    for (std::size_t i = 0; i < promotions_.size(); ++i) {
      Candidate& c = out->candidates[i];
      c.promotion = static_cast<std::uint32_t>(i);
      c.score = 0.0f;
      c.removed_by = policy::WhyIneligible(promotions_[i], eligibility);
      if (!c.removed_by && out->ranked.size() < request.k) {
        out->ranked.push_back(static_cast<std::uint32_t>(i));
      }
    }
    return {};
  }
  const model::ServingModel& served = *bound->model;
  out->model_version = served.version();
  out->has_model = true;

  // Per-thread scratch, rebound to this call's model: it holds no model
  // between calls.
  thread_local event::ClickEvent context;
  thread_local std::vector<model::Feature> row;
  thread_local std::optional<model::CandidateScorer> scorer_slot;
  context.Clear();
  context.user_id = request.user_id;
  context.country = out->country;
  context.category = out->category;
  context.product = out->product;
  context.timestamp_us = request.now_us;
  features::BuildRow(served.dictionary(), context, &row);
  if (scorer_slot) {
    scorer_slot->Rebind(served.params());
  } else {
    scorer_slot.emplace(served.params());
  }
  model::CandidateScorer& scorer = *scorer_slot;
  const std::uint32_t offer_field = features::kOffer;
  scorer.SetContext(row, std::span<const std::uint32_t>(&offer_field, 1),
                    served.instance_normalisation());

  for (std::size_t i = 0; i < promotions_.size(); ++i) {
    Candidate& c = out->candidates[i];
    c.promotion = static_cast<std::uint32_t>(i);
    c.score = 0.0f;
    c.removed_by = policy::WhyIneligible(promotions_[i], eligibility);
    if (c.removed_by) continue;
    float logit = scorer.context_logit();
    if (const auto& index = bound->value[i]; index) {
      const model::Feature candidate{offer_field, *index, 1.0f};
      logit = scorer.Score(std::span<const model::Feature>(&candidate, 1));
    }
    c.score = served.Serve(logit);
    out->ranked.push_back(static_cast<std::uint32_t>(i));
  }
  const std::size_t top = std::min(request.k, out->ranked.size());
  const auto& candidates = out->candidates;
  std::partial_sort(out->ranked.begin(), out->ranked.begin() + static_cast<std::ptrdiff_t>(top),
                    out->ranked.end(), [&candidates](std::uint32_t a, std::uint32_t b) {
                      return candidates[a].score != candidates[b].score
                                 ? candidates[a].score > candidates[b].score
                                 : a < b;
                    });
  out->ranked.resize(top);
  return {};
}

base::Result<Decision> Decider::Decide(const Request& request) const {
  Decision decision;
  PROMOREC_RETURN_IF_ERROR(Decide(request, &decision));
  return decision;
}

}  // namespace promorec::decide
