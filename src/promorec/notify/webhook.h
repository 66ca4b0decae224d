// Webhooks: every notification is POSTed as JSON to each configured URL,
// signed with a shared secret, retried on the delivery queue's schedule
// (delivery_queue.h) and dead-lettered when it cannot be delivered. What a
// receiver gets and how it verifies it is written down in
// docs/api/webhooks.md:
//
//   POST <url>
//   Content-Type: application/json
//   Idempotency-Key: <decision_id>
//   X-Promorec-Timestamp: <unix seconds>
//   X-Promorec-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//   X-Promorec-Attempt: <1, 2, ...>
//
//   {"decision_id":...}    (NotificationJson)
//
// 2xx is delivered. Connection errors, timeouts, 408, 429 and 5xx are
// retried (after Retry-After when the receiver sends one, up to the
// backoff's maximum); any other status (3xx are not followed, 4xx) is
// permanent and dead-letters the notification at once. The timestamp and
// signature are made afresh for each attempt; the body and the
// Idempotency-Key are the same on every attempt, and on a re-send after a
// restart, since they come from the notification alone.
//
// Thread-safety: NewWebhookDelivery's queue is as delivery_queue.h says;
// the functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/notify/delivery_queue.h"

namespace promorec::notify {

struct WebhookOptions {
  // http:// or https:// URLs; each gets every notification.
  std::vector<std::string> urls;
  // The HMAC key the signature is made with; required. Receivers hold the
  // same secret. 32 random bytes (as hex or base64 text) are plenty.
  std::string secret;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(2);
  // The whole attempt: connect, send, answer.
  std::chrono::milliseconds total_timeout = std::chrono::seconds(5);
  // PEM bundle to verify https receivers with; "" = the system's.
  std::string ca_file;
  std::string user_agent = "promorec-webhooks/1";
  DeliveryOptions delivery;
};

// The header names, for receivers written against this code.
inline constexpr std::string_view kSignatureHeader = "X-Promorec-Signature";
inline constexpr std::string_view kTimestampHeader = "X-Promorec-Timestamp";
inline constexpr std::string_view kAttemptHeader = "X-Promorec-Attempt";

// Lower-case hex of HMAC-SHA256(secret, "<unix_seconds>.<body>").
std::string WebhookSignature(std::string_view secret, std::int64_t unix_seconds,
                             std::string_view body);

// The X-Promorec-Signature value: "t=<unix_seconds>,v1=<signature>".
std::string WebhookSignatureHeader(std::string_view secret, std::int64_t unix_seconds,
                                   std::string_view body);

// A Retry-After value as a wait: delta-seconds ("120") or an HTTP date
// (counted from `now_unix_seconds`, 0 when past). nullopt when it is
// neither.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::int64_t now_unix_seconds);

// Checks the options (URLs are http(s) with a host; a secret; timeouts > 0)
// and makes the queue; Start it to deliver. `clock` and `env` must outlive
// it; the clock also gives the signature's timestamp.
[[nodiscard]] base::Result<std::unique_ptr<DeliveryQueue>> NewWebhookDelivery(
    const WebhookOptions& options, const base::Clock& clock, base::Env& env);

}  // namespace promorec::notify
