#include "promorec/http/decisions_api.h"

#include <simdjson.h>

#include <cmath>
#include <string>

#include "promorec/base/json_string.h"
#include "promorec/pipeline/reward_record.h"

namespace promorec::http {

namespace {

namespace dom = simdjson::dom;

// A string member, or "" when absent or null; false when of another type.
bool OptionalString(const dom::object& object, const char* key, std::string* out) {
  dom::element e;
  if (object[key].get(e) != simdjson::SUCCESS || e.is_null()) return true;
  std::string_view value;
  if (e.get(value) != simdjson::SUCCESS) return false;
  out->assign(value);
  return true;
}

void Field(const char* key, std::string_view value, std::string* out) {
  *out += out->size() == 1 ? "\"" : ",\"";
  *out += key;
  *out += "\":";
  base::AppendJsonString(value, out);
}

}  // namespace

DecisionsApi::DecisionsApi(pipeline::DecisionStage& stage,
                           std::shared_ptr<eventlog::Stream> rewards)
    : stage_(stage), rewards_(std::move(rewards)) {}

Response DecisionsApi::Decide(const Request& request, std::int64_t now_us) const {
  thread_local dom::parser parser;
  dom::element root;
  dom::object object;
  if (parser.parse(request.body).get(root) != simdjson::SUCCESS ||
      root.get(object) != simdjson::SUCCESS) {
    return ErrorResponse(400, "invalid_request", "the body must be a JSON object");
  }
  decide::Request ask;
  std::string request_id;
  if (!OptionalString(object, "user_id", &ask.user_id) ||
      !OptionalString(object, "request_id", &request_id) ||
      !OptionalString(object, "country", &ask.country) ||
      !OptionalString(object, "category", &ask.category) ||
      !OptionalString(object, "product", &ask.product)) {
    return ErrorResponse(400, "invalid_request",
                         "user_id, request_id, country, category and product must be strings");
  }
  if (ask.user_id.empty()) return ErrorResponse(400, "invalid_request", "user_id is required");
  dom::element price;
  if (object["price"].get(price) == simdjson::SUCCESS && !price.is_null()) {
    double value = 0;
    if (price.get(value) != simdjson::SUCCESS || !std::isfinite(value) || value < 0) {
      return ErrorResponse(400, "invalid_request", "price must be a number >= 0");
    }
    ask.price = value;
  }
  if (request_id.empty()) {
    // Each request without a key is its own decision.
    request_id = "anonymous-" + std::to_string(now_us) + "-" +
                 std::to_string(anonymous_.fetch_add(1, std::memory_order_relaxed));
  }
  ask.now_us = now_us;
  ask.k = 1;
  auto decided = stage_.DecideNow(ask, request_id);
  Response response;
  if (!decided) {
    if (decided.error().code() == base::Code::kAlreadyExists) {
      return ErrorResponse(409, "decision_exists", decided.error().message());
    }
    if (decided.error().code() != base::Code::kNotFound) {
      return ErrorResponse(503, "unavailable", decided.error().message());
    }
    response.body = "{\"decision_id\":null,\"reason\":";
    base::AppendJsonString(decided.error().message(), &response.body);
    response.body += "}\n";
    return response;
  }
  const pipeline::DecisionRecord& r = *decided;
  std::string& out = response.body;
  out = "{";
  Field("decision_id", r.decision_id, &out);
  Field("promotion_id", r.promotion_id, &out);
  Field("promotion_code", r.promotion_code, &out);
  Field("text", r.promotion_text, &out);
  out += ",\"probability\":" + std::to_string(r.probability);
  Field("model_version", r.model_version, &out);
  Field("policy", r.policy, &out);
  Field("subject", r.subject, &out);
  Field("message", r.message, &out);
  out += "}\n";
  return response;
}

Response DecisionsApi::Reward(const Request& request, std::int64_t now_us) const {
  const auto it = request.params.find("id");
  const std::string id = it == request.params.end() ? "" : it->second;
  if (!pipeline::IsDecisionId(id)) {
    return ErrorResponse(400, "invalid_request", "not a decision id (32 lower-case hex digits)");
  }
  thread_local dom::parser parser;
  dom::element root;
  dom::object object;
  double reward = 0;
  if (parser.parse(request.body).get(root) != simdjson::SUCCESS ||
      root.get(object) != simdjson::SUCCESS || object["reward"].get(reward) != simdjson::SUCCESS ||
      !(reward >= 0.0 && reward <= 1.0)) {
    return ErrorResponse(400, "invalid_request",
                         "the body must be {\"reward\": R} with R a number in [0, 1]");
  }
  if (reward == 0.0) reward = 0.0;  // not -0
  std::string record;
  pipeline::AppendRewardJson({id, reward, now_us}, &record);
  const eventlog::PutRecord put{id, record, std::nullopt};
  if (auto appended = rewards_->Append(std::span<const eventlog::PutRecord>(&put, 1)); !appended) {
    return ErrorResponse(503, "unavailable", appended.error().message());
  }
  stage_.NoteRewardAppended();
  return Response{202, "application/json", record + "\n", {}};
}

}  // namespace promorec::http
