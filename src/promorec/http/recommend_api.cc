#include "promorec/http/recommend_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "promorec/base/json_string.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/ffm_kernel.h"
#include "promorec/policy/eligibility.h"

namespace promorec::http {
namespace {

constexpr std::size_t kMaxK = 100;

struct Scored {
  std::size_t promotion;
  float score;
};

std::string Query(const Request& r, const std::string& key) {
  const auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

// The query value, else the profile's.
std::string Either(const Request& r, const std::string& key, const std::string& from_profile) {
  std::string value = Query(r, key);
  return value.empty() ? from_profile : value;
}

std::optional<std::size_t> ParseK(const std::string& text) {
  std::size_t k = 5;
  if (text.empty()) return k;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc() || end != text.data() + text.size() || k < 1 || k > kMaxK) {
    return std::nullopt;
  }
  return k;
}

// Absent: nullopt inside; malformed: nullopt outside.
std::optional<std::optional<double>> ParsePrice(const std::string& text) {
  if (text.empty()) return std::optional<double>();
  double price = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), price);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(price) || price < 0) {
    return std::nullopt;
  }
  return std::optional<double>(price);
}

void AppendBody(const std::string& user, bool has_profile, const std::vector<std::string>& prefixes,
                std::span<const Scored> top, std::string* body) {
  *body = "{\"user\":";
  base::AppendJsonString(user, body);
  *body += has_profile ? ",\"profile\":true" : ",\"profile\":false";
  *body += ",\"recommendations\":[";
  char number[32];
  for (std::size_t i = 0; i < top.size(); ++i) {
    if (i > 0) *body += ",";
    *body += prefixes[top[i].promotion];
    const auto [end, ec] =
        std::to_chars(number, number + sizeof number, static_cast<double>(top[i].score),
                      std::chars_format::general, 6);
    body->append(number, ec == std::errc() ? end : number);
    *body += "}";
  }
  *body += "]}\n";
}

}  // namespace

RecommendApi::RecommendApi(std::shared_ptr<const model::ModelFile> model,
                           std::vector<event::Promotion> promotions,
                           const profile::ProfileStore* profiles)
    : model_(std::move(model)), promotions_(std::move(promotions)), profiles_(profiles) {
  for (const event::Promotion& p : promotions_) {
    std::string prefix = "{\"promotion_id\":";
    base::AppendJsonString(p.id, &prefix);
    prefix += ",\"text\":";
    base::AppendJsonString(p.text, &prefix);
    prefix += ",\"score\":";
    json_prefix_.push_back(std::move(prefix));
    offer_index_.push_back(model_ ? model_->dictionary.Find(features::kOffer, p.id) : std::nullopt);
  }
}

Response RecommendApi::Handle(const Request& request, std::int64_t now_us) const {
  if (!model_) return ErrorResponse(503, "model_not_loaded", "no model: start with --model DIR");
  event::ClickEvent context;
  context.user_id = Query(request, "user");
  if (context.user_id.empty()) return ErrorResponse(400, "invalid_request", "user is required");
  const std::optional<std::size_t> k = ParseK(Query(request, "k"));
  if (!k) return ErrorResponse(400, "invalid_request", "k must be a whole number in 1..100");
  const auto price = ParsePrice(Query(request, "price"));
  if (!price) return ErrorResponse(400, "invalid_request", "price must be a number >= 0");
  const std::optional<profile::Profile> shopper =
      profiles_ ? profiles_->Lookup(context.user_id) : std::nullopt;
  const profile::Profile none;
  const profile::Profile& known = shopper ? *shopper : none;
  context.country = Either(request, "country", known.country);
  context.category = Either(request, "category", known.last_category);
  context.product = Either(request, "product", known.last_product);
  context.timestamp_us = now_us;

  // Per-thread scratch, so that a request allocates little once warm.
  thread_local std::vector<model::Feature> row;
  thread_local std::vector<Scored> scored;
  // The scorer is bound to one model; holding that model keeps it alive
  // (and its address unique) for as long as the scorer may be reused.
  thread_local std::shared_ptr<const model::ModelFile> scorer_model;
  thread_local std::optional<model::CandidateScorer> scorer_slot;
  if (scorer_model != model_) {
    scorer_slot.emplace(model_->params);
    scorer_model = model_;
  }
  model::CandidateScorer& scorer = *scorer_slot;
  features::BuildRow(model_->dictionary, context, &row);
  const std::uint32_t offer_field = features::kOffer;
  scorer.SetContext(row, std::span<const std::uint32_t>(&offer_field, 1),
                    model_->instance_normalisation);
  policy::EligibilityContext eligibility;
  eligibility.country = context.country;
  eligibility.category = context.category;
  eligibility.product = context.product;
  eligibility.price = *price;
  eligibility.now_us = now_us;
  if (shopper) eligibility.shopper_clicks = shopper->clicks;

  // A squared-loss model predicts a value (a rating), a logistic one a
  // click probability.
  const bool squared = model_->loss == model::Loss::kSquared;
  scored.clear();
  for (std::size_t i = 0; i < promotions_.size(); ++i) {
    if (!policy::Eligible(promotions_[i], eligibility)) continue;
    float logit = scorer.context_logit();
    if (offer_index_[i]) {
      const model::Feature candidate{offer_field, *offer_index_[i], 1.0f};
      logit = scorer.Score(std::span<const model::Feature>(&candidate, 1));
    }
    scored.push_back({i, squared ? logit : model::Sigmoid(logit)});
  }
  const std::size_t top = std::min(*k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(),
                    [](const Scored& a, const Scored& b) {
                      return a.score != b.score ? a.score > b.score : a.promotion < b.promotion;
                    });
  Response response;
  AppendBody(context.user_id, shopper.has_value(), json_prefix_,
             std::span<const Scored>(scored.data(), top), &response.body);
  return response;
}

}  // namespace promorec::http
