// `promorec serve`'s settings from a JSON file (--config), environment
// variables (PROMOREC_<KEY>, e.g. PROMOREC_PORT) and flags, in rising order
// of precedence, validated once at start-up: every bad value is an error
// that names the key, where it came from and why.
//
// Keys: host, port, data_dir, model, threads, workers, max_body_bytes,
// max_header_bytes, idle_timeout_seconds, profile_snapshot_seconds,
// retention_check_seconds, profile_ttl_days, rate_limit_per_second,
// rate_limit_burst, api_keys (a list, or comma-separated in the
// environment), admin_token, kinesis_shard_records_per_second,
// aws_credentials (ACCESS_KEY:SECRET pairs, a list or comma-separated),
// tls_cert and tls_key (PEM files; HTTPS when both are set);
// qualifying_events, exploration, epsilon, temperature, decision_seed,
// cap_user_max, cap_user_window_seconds, cap_promotion_max,
// cap_promotion_window_seconds, dedup_window_seconds, dedup_max_bytes,
// attribution_max_bytes;
// webhook_urls, webhook_secret, smtp_url, smtp_from, smtp_username,
// smtp_password, smtp_starttls.
// Thread-safety: functions; a ServeConfig is a value.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::app {

struct ServeConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string data_dir = "./promorec-data";
  std::string model;
  unsigned threads = 0;   // event loops; 0 = one per usable core
  unsigned workers = 32;  // threads for routes that wait for durability
  std::size_t max_body_bytes = 8 << 20;
  std::size_t max_header_bytes = 32 << 10;
  unsigned idle_timeout_seconds = 60;
  // How often the profiles are snapshotted while serving: a restart after a
  // crash replays at most this much of the clicks stream.
  unsigned profile_snapshot_seconds = 60;
  // How often retention runs on every stream (as each stream's settings say).
  unsigned retention_check_seconds = 3600;
  // Profiles of shoppers with no event for this many days (of event time)
  // are dropped; 0 = kept forever.
  unsigned profile_ttl_days = 90;
  // Requests per second per client address; 0 = no limit.
  double rate_limit_per_second = 0;
  double rate_limit_burst = 0;  // 0 = one second's worth
  // When set, /v1/events and /v1/recommendations need one of these keys
  // (X-Api-Key or Authorization: Bearer).
  std::vector<std::string> api_keys;
  // /v1/admin/* needs it; empty = admin routes refused.
  std::string admin_token;
  double kinesis_shard_records_per_second = 0;
  // Access key -> secret; when set, the Kinesis and SageMaker routes check
  // AWS Signature Version 4 signatures, not only their presence.
  std::map<std::string, std::string> aws_credentials;
  std::string tls_cert;  // PEM file paths
  std::string tls_key;

  // The decision pipeline.
  // Event types a promotion is chosen for ("view", "click", "buy").
  std::vector<std::string> qualifying_events = {"view"};
  std::string exploration = "epsilon_greedy";  // or "softmax", "greedy"
  double epsilon = 0.05;
  double temperature = 0.05;
  std::uint64_t decision_seed = 0;
  unsigned cap_user_max = 3;
  unsigned cap_user_window_seconds = 3600;
  unsigned cap_promotion_max = 1;
  unsigned cap_promotion_window_seconds = 86400;
  // Repeats of an event id within this window have no effect; 0 = off.
  unsigned dedup_window_seconds = 3600;
  std::uint64_t dedup_max_bytes = std::uint64_t{1} << 30;
  // Memory of the decisions waiting for their outcome (about 400 bytes
  // each; 5,000 decisions/s over the 70-minute window need some 9 GB).
  std::uint64_t attribution_max_bytes = std::uint64_t{16} << 30;
  // Outbound notifications (docs/api/webhooks.md): webhook URLs and the
  // secret their signature uses; an SMTP server (smtp:// or smtps://) and
  // the From address for email.
  std::vector<std::string> webhook_urls;
  std::string webhook_secret;
  std::string smtp_url;
  std::string smtp_from;
  std::string smtp_username;
  std::string smtp_password;
  bool smtp_starttls = false;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Values given on the command line: key -> {value, where from ("--port")}.
using GivenSettings = std::map<std::string, std::pair<std::string, std::string>>;

[[nodiscard]] base::Result<ServeConfig> ResolveServeConfig(const std::string& config_file,
                                                           const EnvLookup& env,
                                                           const GivenSettings& flags);

// The settings as JSON with the secrets left out (for GET /v1/admin/config).
std::string ServeConfigJson(const ServeConfig& config);

}  // namespace promorec::app
