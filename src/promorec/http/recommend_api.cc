#include "promorec/http/recommend_api.h"

#include <charconv>
#include <cmath>

#include "promorec/base/json_string.h"

namespace promorec::http {
namespace {

const std::string& Query(const Request& r, const std::string& key) {
  static const std::string kNone;
  const auto it = r.query.find(key);
  return it == r.query.end() ? kNone : it->second;
}

std::optional<std::size_t> ParseK(const std::string& text) {
  std::size_t k = 5;
  if (text.empty()) return k;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return k;
}

// Absent: nullopt inside; malformed: nullopt outside.
std::optional<std::optional<double>> ParsePrice(const std::string& text) {
  if (text.empty()) return std::optional<double>();
  double price = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), price);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(price)) {
    return std::nullopt;
  }
  return std::optional<double>(price);
}

void AppendBody(const decide::Decision& decision, const std::vector<std::string>& prefixes,
                std::string* body) {
  *body = "{\"user\":";
  base::AppendJsonString(decision.user_id, body);
  *body += decision.has_profile ? ",\"profile\":true" : ",\"profile\":false";
  *body += ",\"recommendations\":[";
  char number[32];
  for (std::size_t i = 0; i < decision.ranked.size(); ++i) {
    const decide::Candidate& c = decision.candidates[decision.ranked[i]];
    if (i > 0) *body += ",";
    *body += prefixes[c.promotion];
    const auto [end, ec] =
        std::to_chars(number, number + sizeof number, static_cast<double>(c.score),
                      std::chars_format::general, 6);
    body->append(number, ec == std::errc() ? end : number);
    *body += "}";
  }
  *body += "]}\n";
}

}  // namespace

RecommendApi::RecommendApi(const decide::Decider& decider) : decider_(decider) {
  for (const event::Promotion& p : decider_.promotions()) {
    std::string prefix = "{\"promotion_id\":";
    base::AppendJsonString(p.id, &prefix);
    prefix += ",\"text\":";
    base::AppendJsonString(p.text, &prefix);
    prefix += ",\"score\":";
    json_prefix_.push_back(std::move(prefix));
  }
}

Response RecommendApi::Handle(const Request& request, std::int64_t now_us) const {
  // Per-thread request and decision, so that a request allocates little
  // once warm.
  thread_local decide::Request ask;
  thread_local decide::Decision decision;
  const std::optional<std::size_t> k = ParseK(Query(request, "k"));
  if (!k) {
    return ErrorResponse(400, "invalid_request",
                         "k must be a whole number in 1.." + std::to_string(decide::kMaxRanked));
  }
  const auto price = ParsePrice(Query(request, "price"));
  if (!price) return ErrorResponse(400, "invalid_request", "price must be a number >= 0");
  ask.user_id = Query(request, "user");
  ask.country = Query(request, "country");
  ask.category = Query(request, "category");
  ask.product = Query(request, "product");
  ask.price = *price;
  ask.now_us = now_us;
  ask.k = *k;
  if (auto decided = decider_.Decide(ask, &decision); !decided) {
    if (decided.error().code() == base::Code::kFailedPrecondition) {
      return ErrorResponse(503, "model_not_loaded", decided.error().message());
    }
    return ErrorResponse(400, "invalid_request", decided.error().message());
  }
  Response response;
  AppendBody(decision, json_prefix_, &response.body);
  return response;
}

}  // namespace promorec::http
