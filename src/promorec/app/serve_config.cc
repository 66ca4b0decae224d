#include "promorec/app/serve_config.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "promorec/base/env.h"
#include "promorec/base/json_string.h"

namespace promorec::app {
namespace {

constexpr const char* kKeys[] = {"host",
                                 "port",
                                 "data_dir",
                                 "model",
                                 "threads",
                                 "workers",
                                 "max_body_bytes",
                                 "max_header_bytes",
                                 "idle_timeout_seconds",
                                 "profile_snapshot_seconds",
                                 "retention_check_seconds",
                                 "profile_ttl_days",
                                 "rate_limit_per_second",
                                 "rate_limit_burst",
                                 "api_keys",
                                 "admin_token",
                                 "kinesis_shard_records_per_second",
                                 "aws_credentials",
                                 "tls_cert",
                                 "tls_key",
                                 "qualifying_events",
                                 "exploration",
                                 "epsilon",
                                 "temperature",
                                 "decision_seed",
                                 "cap_user_max",
                                 "cap_user_window_seconds",
                                 "cap_promotion_max",
                                 "cap_promotion_window_seconds",
                                 "dedup_window_seconds",
                                 "dedup_max_bytes",
                                 "attribution_max_bytes",
                                 "webhook_urls",
                                 "webhook_secret",
                                 "smtp_url",
                                 "smtp_from",
                                 "smtp_username",
                                 "smtp_password",
                                 "smtp_starttls"};

struct Value {
  std::string text;
  std::string source;  // "config.json", "PROMOREC_PORT", "--port"
};

std::string EnvName(const std::string& key) {
  std::string name = "PROMOREC_";
  for (const char c : key) name.push_back(static_cast<char>(std::toupper(c)));
  return name;
}

base::Status ReadFile(const std::string& path, std::map<std::string, Value>* values) {
  PROMOREC_ASSIGN_OR_RETURN(const std::string text,
                            base::ReadFileToString(base::DefaultEnv(), path));
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (const auto error = parser.parse(text).get(object); error != simdjson::SUCCESS) {
    return base::InvalidArgument(path + ": not a JSON object (" + simdjson::error_message(error) +
                                 ")");
  }
  for (const auto field : object) {
    const std::string key(field.key);
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return base::InvalidArgument(path + ": unknown setting '" + key + "'");
    }
    std::string_view s;
    simdjson::dom::array list;
    if (field.value.get(s) == simdjson::SUCCESS) {
      (*values)[key] = {std::string(s), path};
    } else if (field.value.get(list) == simdjson::SUCCESS) {
      std::string joined;
      for (const auto item : list) {
        std::string_view one;
        if (item.get(one) != simdjson::SUCCESS || one.find(',') != std::string_view::npos) {
          return base::InvalidArgument(path + ": " + key + " must list strings without commas");
        }
        if (!joined.empty()) joined += ",";
        joined += one;
      }
      (*values)[key] = {joined, path};
    } else if (field.value.is_number() || field.value.is_bool()) {
      (*values)[key] = {simdjson::minify(field.value), path};
    } else {
      return base::InvalidArgument(path + ": " + key + " must be a string, number or list");
    }
  }
  return {};
}

template <typename T>
base::Status Whole(const std::string& key, const Value& v, T low, T high, T* out) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
  if (ec != std::errc() || end != v.text.data() + v.text.size() || n < low || n > high) {
    return base::InvalidArgument(key + " '" + v.text + "' (from " + v.source +
                                 ") must be a whole number in " + std::to_string(low) + ".." +
                                 std::to_string(high));
  }
  *out = static_cast<T>(n);
  return {};
}

base::Status Rate(const std::string& key, const Value& v, double* out) {
  double d = 0;
  const auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
  if (ec != std::errc() || end != v.text.data() + v.text.size() || !std::isfinite(d) || d < 0) {
    return base::InvalidArgument(key + " '" + v.text + "' (from " + v.source +
                                 ") must be a number >= 0");
  }
  *out = d;
  return {};
}

base::Status NonEmpty(const std::string& key, const Value& v, std::string* out) {
  if (v.text.empty()) {
    return base::InvalidArgument(key + " (from " + v.source + ") must not be empty");
  }
  *out = v.text;
  return {};
}

}  // namespace

base::Result<ServeConfig> ResolveServeConfig(const std::string& config_file, const EnvLookup& env,
                                             const GivenSettings& flags) {
  std::map<std::string, Value> values;
  if (!config_file.empty()) PROMOREC_RETURN_IF_ERROR(ReadFile(config_file, &values));
  for (const char* key : kKeys) {
    if (auto found = env(EnvName(key)); found) values[key] = {*found, EnvName(key)};
  }
  for (const auto& [key, given] : flags) values[key] = {given.first, given.second};
  ServeConfig c;
  for (const auto& [key, v] : values) {
    if (key == "host") {
      PROMOREC_RETURN_IF_ERROR(NonEmpty(key, v, &c.host));
    } else if (key == "port") {
      PROMOREC_RETURN_IF_ERROR(Whole<std::uint16_t>(key, v, 0, 65535, &c.port));
    } else if (key == "data_dir") {
      PROMOREC_RETURN_IF_ERROR(NonEmpty(key, v, &c.data_dir));
    } else if (key == "model") {
      c.model = v.text;
    } else if (key == "threads") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 0, 256, &c.threads));
    } else if (key == "workers") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 1024, &c.workers));
    } else if (key == "max_body_bytes") {
      PROMOREC_RETURN_IF_ERROR(
          Whole<std::size_t>(key, v, 1024, std::size_t{1} << 30, &c.max_body_bytes));
    } else if (key == "max_header_bytes") {
      PROMOREC_RETURN_IF_ERROR(
          Whole<std::size_t>(key, v, 4096, std::size_t{1} << 20, &c.max_header_bytes));
    } else if (key == "idle_timeout_seconds") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 3600, &c.idle_timeout_seconds));
    } else if (key == "profile_snapshot_seconds") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 86400, &c.profile_snapshot_seconds));
    } else if (key == "profile_ttl_days") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 0, 36500, &c.profile_ttl_days));
    } else if (key == "retention_check_seconds") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 86400, &c.retention_check_seconds));
    } else if (key == "qualifying_events") {
      c.qualifying_events.clear();
      std::size_t at = 0;
      while (at <= v.text.size()) {
        std::size_t end = v.text.find(',', at);
        if (end == std::string::npos) end = v.text.size();
        const std::string type = v.text.substr(at, end - at);
        if (type != "view" && type != "click" && type != "buy") {
          return base::InvalidArgument("qualifying_events (from " + v.source +
                                       ") must list view, click or buy, got '" + type + "'");
        }
        c.qualifying_events.push_back(type);
        at = end + 1;
      }
    } else if (key == "webhook_urls") {
      c.webhook_urls.clear();
      std::size_t at = 0;
      while (at < v.text.size()) {
        std::size_t end = v.text.find(',', at);
        if (end == std::string::npos) end = v.text.size();
        const std::string url = v.text.substr(at, end - at);
        if (!url.starts_with("http://") && !url.starts_with("https://")) {
          return base::InvalidArgument("webhook_urls (from " + v.source +
                                       ") must be http:// or https:// URLs, got '" + url + "'");
        }
        c.webhook_urls.push_back(url);
        at = end + 1;
      }
    } else if (key == "webhook_secret") {
      c.webhook_secret = v.text;
    } else if (key == "smtp_url") {
      if (!v.text.empty() && !v.text.starts_with("smtp://") && !v.text.starts_with("smtps://")) {
        return base::InvalidArgument("smtp_url (from " + v.source +
                                     ") must start with smtp:// or smtps://");
      }
      c.smtp_url = v.text;
    } else if (key == "smtp_from") {
      c.smtp_from = v.text;
    } else if (key == "smtp_username") {
      c.smtp_username = v.text;
    } else if (key == "smtp_password") {
      c.smtp_password = v.text;
    } else if (key == "smtp_starttls") {
      if (v.text != "true" && v.text != "false") {
        return base::InvalidArgument("smtp_starttls (from " + v.source + ") must be true or false");
      }
      c.smtp_starttls = v.text == "true";
    } else if (key == "exploration") {
      if (v.text != "epsilon_greedy" && v.text != "softmax" && v.text != "greedy") {
        return base::InvalidArgument("exploration (from " + v.source +
                                     ") must be epsilon_greedy, softmax or greedy, got '" + v.text +
                                     "'");
      }
      c.exploration = v.text;
    } else if (key == "epsilon") {
      PROMOREC_RETURN_IF_ERROR(Rate(key, v, &c.epsilon));
      if (c.epsilon > 1) {
        return base::InvalidArgument("epsilon (from " + v.source + ") must be in [0, 1]");
      }
    } else if (key == "temperature") {
      PROMOREC_RETURN_IF_ERROR(Rate(key, v, &c.temperature));
      if (c.temperature <= 0) {
        return base::InvalidArgument("temperature (from " + v.source + ") must be > 0");
      }
    } else if (key == "decision_seed") {
      PROMOREC_RETURN_IF_ERROR(
          Whole<std::uint64_t>(key, v, 0, ~std::uint64_t{0}, &c.decision_seed));
    } else if (key == "cap_user_max") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 1000000, &c.cap_user_max));
    } else if (key == "cap_user_window_seconds") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 31 * 86400, &c.cap_user_window_seconds));
    } else if (key == "cap_promotion_max") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 1, 1000000, &c.cap_promotion_max));
    } else if (key == "cap_promotion_window_seconds") {
      PROMOREC_RETURN_IF_ERROR(
          Whole<unsigned>(key, v, 1, 31 * 86400, &c.cap_promotion_window_seconds));
    } else if (key == "dedup_window_seconds") {
      PROMOREC_RETURN_IF_ERROR(Whole<unsigned>(key, v, 0, 7 * 86400, &c.dedup_window_seconds));
    } else if (key == "dedup_max_bytes") {
      PROMOREC_RETURN_IF_ERROR(Whole<std::uint64_t>(key, v, std::uint64_t{1} << 20,
                                                    std::uint64_t{1} << 40, &c.dedup_max_bytes));
    } else if (key == "attribution_max_bytes") {
      PROMOREC_RETURN_IF_ERROR(Whole<std::uint64_t>(
          key, v, std::uint64_t{1} << 20, std::uint64_t{1} << 40, &c.attribution_max_bytes));
    } else if (key == "rate_limit_per_second") {
      PROMOREC_RETURN_IF_ERROR(Rate(key, v, &c.rate_limit_per_second));
    } else if (key == "rate_limit_burst") {
      PROMOREC_RETURN_IF_ERROR(Rate(key, v, &c.rate_limit_burst));
    } else if (key == "kinesis_shard_records_per_second") {
      PROMOREC_RETURN_IF_ERROR(Rate(key, v, &c.kinesis_shard_records_per_second));
    } else if (key == "admin_token") {
      c.admin_token = v.text;
      if (!c.admin_token.empty() && c.admin_token.size() < 16) {
        return base::InvalidArgument("admin_token (from " + v.source +
                                     ") must be at least 16 characters");
      }
    } else if (key == "tls_cert") {
      PROMOREC_RETURN_IF_ERROR(NonEmpty(key, v, &c.tls_cert));
    } else if (key == "tls_key") {
      PROMOREC_RETURN_IF_ERROR(NonEmpty(key, v, &c.tls_key));
    } else if (key == "aws_credentials") {
      std::size_t at = 0;
      while (at < v.text.size()) {
        std::size_t end = v.text.find(',', at);
        if (end == std::string::npos) end = v.text.size();
        const std::string pair = v.text.substr(at, end - at);
        const std::size_t colon = pair.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) {
          return base::InvalidArgument("aws_credentials (from " + v.source +
                                       ") must be ACCESS_KEY:SECRET pairs");
        }
        c.aws_credentials[pair.substr(0, colon)] = pair.substr(colon + 1);
        at = end + 1;
      }
    } else if (key == "api_keys") {
      c.api_keys.clear();
      std::size_t at = 0;
      while (at <= v.text.size() && !v.text.empty()) {
        std::size_t end = v.text.find(',', at);
        if (end == std::string::npos) end = v.text.size();
        if (end == at) {
          return base::InvalidArgument("api_keys (from " + v.source + ") has an empty key");
        }
        c.api_keys.push_back(v.text.substr(at, end - at));
        at = end + 1;
      }
    }
  }
  if (!c.webhook_urls.empty() && c.webhook_secret.size() < 16) {
    return base::InvalidArgument(
        "webhook_secret must be set (at least 16 characters) when webhook_urls are");
  }
  if (!c.smtp_url.empty() && c.smtp_from.empty()) {
    return base::InvalidArgument("smtp_from must be set when smtp_url is");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return base::InvalidArgument("tls_cert and tls_key go together: set both for HTTPS");
  }
  return c;
}

std::string ServeConfigJson(const ServeConfig& c) {
  std::string out = "{\"host\":";
  base::AppendJsonString(c.host, &out);
  out += ",\"port\":" + std::to_string(c.port) + ",\"data_dir\":";
  base::AppendJsonString(c.data_dir, &out);
  out += ",\"model\":";
  base::AppendJsonString(c.model, &out);
  char rates[160];
  std::snprintf(rates, sizeof rates,
                ",\"rate_limit_per_second\":%g,\"rate_limit_burst\":%g,"
                "\"kinesis_shard_records_per_second\":%g",
                c.rate_limit_per_second, c.rate_limit_burst, c.kinesis_shard_records_per_second);
  out += ",\"threads\":" + std::to_string(c.threads) + ",\"workers\":" + std::to_string(c.workers) +
         ",\"max_body_bytes\":" + std::to_string(c.max_body_bytes) +
         ",\"max_header_bytes\":" + std::to_string(c.max_header_bytes) +
         ",\"idle_timeout_seconds\":" + std::to_string(c.idle_timeout_seconds) +
         ",\"profile_snapshot_seconds\":" + std::to_string(c.profile_snapshot_seconds) +
         ",\"retention_check_seconds\":" + std::to_string(c.retention_check_seconds) +
         ",\"profile_ttl_days\":" + std::to_string(c.profile_ttl_days) + rates +
         ",\"api_keys\":" + std::to_string(c.api_keys.size()) +
         ",\"aws_credentials\":" + std::to_string(c.aws_credentials.size()) +
         ",\"admin_token\":" + (c.admin_token.empty() ? "false" : "true") +
         ",\"tls\":" + (c.tls_cert.empty() ? "false" : "true");
  out += ",\"qualifying_events\":[";
  for (std::size_t i = 0; i < c.qualifying_events.size(); ++i) {
    if (i > 0) out += ',';
    base::AppendJsonString(c.qualifying_events[i], &out);
  }
  char policy[512];
  std::snprintf(policy, sizeof policy,
                "],\"exploration\":\"%s\",\"epsilon\":%g,\"temperature\":%g,\"decision_seed\":%llu,"
                "\"cap_user_max\":%u,\"cap_user_window_seconds\":%u,\"cap_promotion_max\":%u,"
                "\"cap_promotion_window_seconds\":%u,\"dedup_window_seconds\":%u,"
                "\"dedup_max_bytes\":%llu,\"attribution_max_bytes\":%llu",
                c.exploration.c_str(), c.epsilon, c.temperature,
                static_cast<unsigned long long>(c.decision_seed), c.cap_user_max,
                c.cap_user_window_seconds, c.cap_promotion_max, c.cap_promotion_window_seconds,
                c.dedup_window_seconds, static_cast<unsigned long long>(c.dedup_max_bytes),
                static_cast<unsigned long long>(c.attribution_max_bytes));
  out += policy;
  out += ",\"webhook_urls\":" + std::to_string(c.webhook_urls.size()) +
         ",\"smtp\":" + (c.smtp_url.empty() ? "false" : "true") + "}\n";
  return out;
}

}  // namespace promorec::app
