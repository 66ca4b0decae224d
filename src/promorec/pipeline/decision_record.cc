#include "promorec/pipeline/decision_record.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "promorec/base/hash.h"
#include "promorec/base/json_string.h"
#include "promorec/notify/live_position.h"

namespace promorec::pipeline {

namespace {

namespace dom = simdjson::dom;

// A score with 6 significant digits, as "%g" writes it. A decision logs
// one per promotion (thousands), so the usual case, a probability in
// [0.0001, 1), is written from one rounded integer instead of through
// to_chars; anything else, and the rare value that rounds up to the next
// power of ten, goes through to_chars.
void AppendScore(double score, std::string* out) {
  constexpr int kDigits = 6;
  // "-0" would read back as the integer 0: both zeros are written as 0.
  if (score == 0) score = 0;
  if (score >= 1e-4 && score < 1) {
    int zeros = 0;  // after the decimal point, before the first digit
    double scaled = score * 1e6;
    while (scaled < 1e5) {
      scaled *= 10;
      ++zeros;
    }
    const auto digits = static_cast<std::uint64_t>(std::llround(scaled));
    if (digits < 1'000'000) {
      char buf[2 + 3 + kDigits];
      char* p = buf;
      *p++ = '0';
      *p++ = '.';
      for (int i = 0; i < zeros; ++i) *p++ = '0';
      std::uint64_t rest = digits;
      char* last = p + kDigits - 1;
      for (char* q = last; q >= p; --q) {
        *q = static_cast<char>('0' + rest % 10);
        rest /= 10;
      }
      while (*last == '0') --last;
      out->append(buf, last + 1);
      return;
    }
  }
  char buf[32];
  const auto end =
      std::to_chars(buf, buf + sizeof buf, score, std::chars_format::general, kDigits).ptr;
  out->append(buf, end);
}

void Key(std::string_view key, std::string* out) {
  out->push_back(out->back() == '{' ? '"' : ',');
  if (out->back() == ',') out->push_back('"');
  out->append(key);
  out->append("\":");
}

void Str(std::string_view key, std::string_view value, std::string* out) {
  Key(key, out);
  base::AppendJsonString(value, out);
}

void Number(std::string_view key, double value, std::string* out) {
  Key(key, out);
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buf[32];
  // The shortest form that reads back, but never a run of 16 or more
  // digits without a point or exponent: JSON readers take that for an
  // integer, which may not fit one.
  const auto form = std::abs(value) >= 1e15 ? std::chars_format::scientific : std::chars_format{};
  const auto end = form == std::chars_format{}
                       ? std::to_chars(buf, buf + sizeof buf, value).ptr
                       : std::to_chars(buf, buf + sizeof buf, value, form).ptr;
  out->append(buf, end);
}

void Integer(std::string_view key, std::int64_t value, std::string* out) {
  Key(key, out);
  out->append(std::to_string(value));
}

class Reader {
 public:
  explicit Reader(dom::object object) : object_(object) {}

  base::Status Str(const char* key, std::string* out, bool required = true) {
    dom::element e;
    if (object_[key].get(e) != simdjson::SUCCESS) return Missing(key, required);
    std::string_view value;
    if (e.get(value) != simdjson::SUCCESS) return Wrong(key, "a string");
    out->assign(value);
    return {};
  }
  base::Status Num(const char* key, double* out, bool required = true) {
    dom::element e;
    if (object_[key].get(e) != simdjson::SUCCESS) return Missing(key, required);
    if (e.is_null()) {
      *out = 0;
      return {};
    }
    if (e.get(*out) != simdjson::SUCCESS) return Wrong(key, "a number");
    return {};
  }
  base::Status Int(const char* key, std::int64_t* out) {
    dom::element e;
    if (object_[key].get(e) != simdjson::SUCCESS) return Missing(key, true);
    if (e.get(*out) != simdjson::SUCCESS) return Wrong(key, "a whole number");
    return {};
  }
  base::Status Uint(const char* key, std::uint64_t* out) {
    dom::element e;
    if (object_[key].get(e) != simdjson::SUCCESS) return Missing(key, true);
    if (e.get(*out) != simdjson::SUCCESS) return Wrong(key, "a whole number >= 0");
    return {};
  }

 private:
  static base::Status Missing(const char* key, bool required) {
    if (!required) return {};
    return base::InvalidArgument(std::string("decision record: \"") + key + "\" is required");
  }
  static base::Status Wrong(const char* key, const char* what) {
    return base::InvalidArgument(std::string("decision record: \"") + key + "\" must be " + what);
  }
  dom::object object_;
};

}  // namespace

std::string CatalogueId(const std::vector<std::string>& promotion_ids) {
  std::string all;
  for (const std::string& id : promotion_ids) {
    all += id;
    all.push_back('\0');
  }
  std::string out(32, '0');
  base::WriteHex128(base::Hash64(all, 1), base::Hash64(all, 2), out.data());
  out.resize(16);
  return out;
}

void AppendCandidatesJson(const DecisionRecord& r, std::string* out) {
  if (r.candidates.empty() && !r.candidates_json.empty()) {
    out->append(r.candidates_json);
    return;
  }
  out->append("{\"catalogue\":");
  base::AppendJsonString(r.catalogue, out);
  out->append(",\"scores\":[");
  // Rules in the order they first appear, each with its indices.
  std::vector<std::pair<std::string_view, std::string>> rules;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const CandidateRecord& c = r.candidates[i];
    if (i > 0) out->push_back(',');
    if (!c.removed_by.empty()) {
      out->append("null");
      auto it = std::find_if(rules.begin(), rules.end(),
                             [&c](const auto& rule) { return rule.first == c.removed_by; });
      if (it == rules.end()) it = rules.insert(rules.end(), {c.removed_by, std::string()});
      if (!it->second.empty()) it->second.push_back(',');
      it->second += std::to_string(i);
      continue;
    }
    AppendScore(static_cast<double>(c.score), out);
  }
  out->append("],\"removed_by\":{");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (i > 0) out->push_back(',');
    base::AppendJsonString(rules[i].first, out);
    out->append(":[");
    out->append(rules[i].second);
    out->push_back(']');
  }
  out->append("}}");
}

notify::Notification NotificationOf(const DecisionRecord& r, std::uint32_t shard,
                                    std::uint64_t sequence) {
  notify::Notification n;
  n.decision_id = r.decision_id;
  n.position = notify::FormatLivePosition({shard, sequence});
  n.order = sequence;
  n.user_id = r.user_id;
  n.email = r.email;
  n.promotion_id = r.promotion_id;
  n.promotion_code = r.promotion_code;
  n.product = r.product;
  n.time_us = r.time_us;
  n.subject = r.subject;
  n.message = r.message;
  return n;
}

std::string DecisionId(std::string_view source, std::string_view event_id) {
  std::string key(source);
  key.push_back('\0');
  key.append(event_id);
  std::string id(32, '0');
  base::WriteHex128(base::Hash64(key, 0x64656369646564ull), base::Hash64(key, 0x6164206c6f67ull),
                    id.data());
  return id;
}

void AppendDecisionJson(const DecisionRecord& r, std::string* out) {
  out->push_back('{');
  Integer("v", kDecisionRecordVersion, out);
  Str("decision_id", r.decision_id, out);
  Str("event_id", r.event_id, out);
  Str("source", r.source, out);
  Str("user_id", r.user_id, out);
  if (!r.email.empty()) Str("email", r.email, out);
  Integer("time_us", r.time_us, out);
  Str("country", r.country, out);
  Str("category", r.category, out);
  Str("product", r.product, out);
  Str("promotion_id", r.promotion_id, out);
  Str("promotion_code", r.promotion_code, out);
  Str("promotion_text", r.promotion_text, out);
  Number("probability", r.probability, out);
  Str("model_version", r.model_version, out);
  Str("policy", r.policy, out);
  Number("epsilon", r.epsilon, out);
  Number("temperature", r.temperature, out);
  Key("seed", out);
  out->append(std::to_string(r.seed));
  Key("candidates", out);
  AppendCandidatesJson(r, out);
  Str("subject", r.subject, out);
  Str("message", r.message, out);
  out->push_back('}');
}

base::Result<DecisionRecord> ParseDecisionJson(std::string_view json,
                                               CandidateParsing candidate_parsing) {
  thread_local dom::parser parser;
  // Candidates left unparsed are cut out before parsing: with thousands of
  // promotions they are most of the record.
  std::string_view candidates_text;
  thread_local std::string trimmed;
  if (candidate_parsing == CandidateParsing::kSkipCandidates) {
    // The writer puts the candidates between these two keys. Neither key
    // can occur inside a JSON string (its quotes would be escaped), and
    // nothing inside the candidates contains the second.
    const std::size_t begin = json.find("\"candidates\":");
    const std::size_t end =
        begin == std::string_view::npos ? begin : json.find(",\"subject\":", begin);
    if (end != std::string_view::npos) {
      constexpr std::size_t kKey = 13;  // "candidates":
      candidates_text = json.substr(begin + kKey, end - begin - kKey);
      trimmed.assign(json.substr(0, begin + kKey));
      trimmed.append("{}");
      trimmed.append(json.substr(end));
      json = trimmed;
    }
  }
  dom::element root;
  if (const auto e = parser.parse(json.data(), json.size()).get(root); e != simdjson::SUCCESS) {
    return base::InvalidArgument(std::string("decision record: not valid JSON: ") +
                                 simdjson::error_message(e));
  }
  dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return base::InvalidArgument("decision record: expected a JSON object");
  }
  Reader reader(object);
  std::int64_t version = 0;
  PROMOREC_RETURN_IF_ERROR(reader.Int("v", &version));
  if (version != kDecisionRecordVersion) {
    return base::InvalidArgument("decision record: version " + std::to_string(version) +
                                 "; this build reads version " +
                                 std::to_string(kDecisionRecordVersion));
  }
  DecisionRecord r;
  PROMOREC_RETURN_IF_ERROR(reader.Str("decision_id", &r.decision_id));
  PROMOREC_RETURN_IF_ERROR(reader.Str("event_id", &r.event_id));
  PROMOREC_RETURN_IF_ERROR(reader.Str("source", &r.source));
  PROMOREC_RETURN_IF_ERROR(reader.Str("user_id", &r.user_id));
  PROMOREC_RETURN_IF_ERROR(reader.Str("email", &r.email, false));
  PROMOREC_RETURN_IF_ERROR(reader.Int("time_us", &r.time_us));
  PROMOREC_RETURN_IF_ERROR(reader.Str("country", &r.country));
  PROMOREC_RETURN_IF_ERROR(reader.Str("category", &r.category));
  PROMOREC_RETURN_IF_ERROR(reader.Str("product", &r.product));
  PROMOREC_RETURN_IF_ERROR(reader.Str("promotion_id", &r.promotion_id));
  PROMOREC_RETURN_IF_ERROR(reader.Str("promotion_code", &r.promotion_code));
  PROMOREC_RETURN_IF_ERROR(reader.Str("promotion_text", &r.promotion_text));
  PROMOREC_RETURN_IF_ERROR(reader.Num("probability", &r.probability));
  if (!(r.probability >= 0.0 && r.probability <= 1.0)) {
    return base::InvalidArgument("decision record: \"probability\" must be in [0, 1]");
  }
  PROMOREC_RETURN_IF_ERROR(reader.Str("model_version", &r.model_version));
  PROMOREC_RETURN_IF_ERROR(reader.Str("policy", &r.policy));
  PROMOREC_RETURN_IF_ERROR(reader.Num("epsilon", &r.epsilon));
  PROMOREC_RETURN_IF_ERROR(reader.Num("temperature", &r.temperature));
  PROMOREC_RETURN_IF_ERROR(reader.Uint("seed", &r.seed));
  PROMOREC_RETURN_IF_ERROR(reader.Str("subject", &r.subject));
  PROMOREC_RETURN_IF_ERROR(reader.Str("message", &r.message));
  dom::object candidates;
  if (!candidates_text.empty()) {
    r.candidates_json.assign(candidates_text);
    return r;
  }
  if (object["candidates"].get(candidates) != simdjson::SUCCESS) {
    return base::InvalidArgument("decision record: \"candidates\" must be an object");
  }
  Reader candidate_reader(candidates);
  PROMOREC_RETURN_IF_ERROR(candidate_reader.Str("catalogue", &r.catalogue));
  dom::array scores;
  if (candidates["scores"].get(scores) != simdjson::SUCCESS) {
    return base::InvalidArgument("decision record: \"candidates.scores\" must be an array");
  }
  for (const dom::element item : scores) {
    CandidateRecord& c = r.candidates.emplace_back();
    if (item.is_null()) {
      c.removed_by = "?";  // named below
      continue;
    }
    double score = 0;
    if (item.get(score) != simdjson::SUCCESS) {
      return base::InvalidArgument("decision record: a score must be a number or null");
    }
    // Scores are logged as floats: anything larger was not written here
    // (and would not convert).
    if (!(std::abs(score) <= static_cast<double>(std::numeric_limits<float>::max()))) {
      return base::InvalidArgument("decision record: a score is beyond the range of a float");
    }
    c.score = static_cast<float>(score);
  }
  dom::object removed;
  if (candidates["removed_by"].get(removed) != simdjson::SUCCESS) {
    return base::InvalidArgument("decision record: \"candidates.removed_by\" must be an object");
  }
  for (const dom::key_value_pair rule : removed) {
    dom::array indices;
    if (rule.value.get(indices) != simdjson::SUCCESS || rule.key.empty()) {
      return base::InvalidArgument(
          "decision record: \"candidates.removed_by\" must map rules to lists of indices");
    }
    for (const dom::element item : indices) {
      std::uint64_t index = 0;
      if (item.get(index) != simdjson::SUCCESS || index >= r.candidates.size() ||
          r.candidates[index].removed_by != "?") {
        return base::InvalidArgument(std::string("decision record: rule ") + std::string(rule.key) +
                                     " names an index that is not a removed candidate");
      }
      r.candidates[index].removed_by.assign(rule.key);
    }
  }
  for (const CandidateRecord& c : r.candidates) {
    if (c.removed_by == "?") {
      return base::InvalidArgument(
          "decision record: a candidate without a score has no rule in removed_by");
    }
  }
  return r;
}

}  // namespace promorec::pipeline
