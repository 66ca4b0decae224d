#include "promorec/http/recommend_api.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "promorec/base/json_string.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::http {
namespace {

constexpr std::size_t kMaxK = 100;

bool Listed(const std::vector<std::string>& allowed, const std::string& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string Query(const Request& r, const std::string& key) {
  const auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

}  // namespace

RecommendApi::RecommendApi(std::shared_ptr<const model::ModelFile> model,
                           std::vector<event::Promotion> promotions)
    : model_(std::move(model)), promotions_(std::move(promotions)) {
  for (const event::Promotion& p : promotions_) {
    offer_index_.push_back(model_ ? model_->dictionary.Find(features::kOffer, p.id) : std::nullopt);
  }
}

Response RecommendApi::Handle(const Request& request, std::int64_t now_us) const {
  if (!model_) return ErrorResponse(503, "model_not_loaded", "no model: start with --model DIR");
  event::ClickEvent context;
  context.user_id = Query(request, "user");
  if (context.user_id.empty()) return ErrorResponse(400, "invalid_request", "user is required");
  std::size_t k = 5;
  if (const std::string text = Query(request, "k"); !text.empty()) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
    if (ec != std::errc() || end != text.data() + text.size() || k < 1 || k > kMaxK) {
      return ErrorResponse(400, "invalid_request", "k must be a whole number in 1..100");
    }
  }
  context.country = Query(request, "country");
  context.category = Query(request, "category");
  context.product = Query(request, "product");
  context.timestamp_us = now_us;
  std::vector<model::Feature> row;
  features::BuildRow(model_->dictionary, context, &row);
  model::CandidateScorer scorer(model_->params);
  const std::uint32_t offer_field = features::kOffer;
  scorer.SetContext(row, std::span<const std::uint32_t>(&offer_field, 1),
                    model_->instance_normalisation);

  struct Scored {
    std::size_t promotion;
    float score;
  };
  std::vector<Scored> scored;
  for (std::size_t i = 0; i < promotions_.size(); ++i) {
    const event::Promotion& p = promotions_[i];
    const event::Eligibility& e = p.eligibility;
    if (!p.ValidAt(now_us) || !Listed(e.countries, context.country) ||
        !Listed(e.categories, context.category) || !Listed(e.products, context.product)) {
      continue;
    }
    float logit = scorer.context_logit();
    if (offer_index_[i]) {
      const model::Feature candidate{offer_field, *offer_index_[i], 1.0f};
      logit = scorer.Score(std::span<const model::Feature>(&candidate, 1));
    }
    scored.push_back({i, model::Sigmoid(logit)});
  }
  const std::size_t top = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(top), scored.end(),
                    [](const Scored& a, const Scored& b) {
                      return a.score != b.score ? a.score > b.score : a.promotion < b.promotion;
                    });
  Response response;
  response.body = "{\"user\":";
  base::AppendJsonString(context.user_id, &response.body);
  response.body += ",\"recommendations\":[";
  char number[32];
  for (std::size_t i = 0; i < top; ++i) {
    const event::Promotion& p = promotions_[scored[i].promotion];
    if (i > 0) response.body += ",";
    response.body += "{\"promotion_id\":";
    base::AppendJsonString(p.id, &response.body);
    response.body += ",\"text\":";
    base::AppendJsonString(p.text, &response.body);
    std::snprintf(number, sizeof number, ",\"score\":%.6g}", static_cast<double>(scored[i].score));
    response.body += number;
  }
  response.body += "]}\n";
  return response;
}

}  // namespace promorec::http
