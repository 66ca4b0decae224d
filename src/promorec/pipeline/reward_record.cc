#include "promorec/pipeline/reward_record.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "promorec/base/json_string.h"

namespace promorec::pipeline {

bool IsDecisionId(std::string_view id) {
  if (id.size() != 32) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void AppendRewardJson(const RewardRecord& r, std::string* out) {
  *out += "{\"decision_id\":";
  base::AppendJsonString(r.decision_id, out);
  *out += ",\"reward\":";
  char buf[32];
  *out += std::string_view(buf, std::to_chars(buf, buf + sizeof buf, r.reward).ptr);
  *out += ",\"time_us\":";
  *out += std::to_string(r.time_us);
  *out += '}';
}

base::Result<RewardRecord> ParseRewardJson(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root.get(o) != simdjson::SUCCESS) {
    return base::InvalidArgument("reward record: not a JSON object");
  }
  RewardRecord r;
  std::string_view id;
  if (o["decision_id"].get(id) != simdjson::SUCCESS || !IsDecisionId(id)) {
    return base::InvalidArgument(
        "reward record: \"decision_id\" must be a decision id (32 lower-case hex digits)");
  }
  r.decision_id.assign(id);
  if (o["reward"].get(r.reward) != simdjson::SUCCESS || !(r.reward >= 0.0 && r.reward <= 1.0)) {
    return base::InvalidArgument("reward record: \"reward\" must be a number in [0, 1]");
  }
  if (r.reward == 0.0) r.reward = 0.0;  // -0 is written back as 0
  if (o["time_us"].get(r.time_us) != simdjson::SUCCESS) {
    return base::InvalidArgument("reward record: \"time_us\" must be a whole number");
  }
  return r;
}

}  // namespace promorec::pipeline
