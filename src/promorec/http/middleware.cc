#include "promorec/http/middleware.h"

#include <algorithm>

namespace promorec::http {
namespace {

bool HasKey(const Request& r, const std::vector<std::string>& keys) {
  std::string_view given = r.Header("x-api-key");
  if (given.empty() && r.Header("authorization").starts_with("Bearer ")) {
    given = r.Header("authorization").substr(7);
  }
  return std::find(keys.begin(), keys.end(), given) != keys.end();
}

}  // namespace

RateLimiter::RateLimiter(const base::Clock& clock, double per_second, double burst)
    : clock_(clock),
      per_second_(per_second),
      burst_(burst > 0 ? burst : std::max(1.0, per_second)) {}

bool RateLimiter::Allow(const std::string& client) {
  if (per_second_ <= 0) return true;
  const double now = static_cast<double>(clock_.MonotonicNanos()) * 1e-9;
  const std::lock_guard lock(mutex_);
  Bucket& b = buckets_.try_emplace(client, Bucket{burst_, now}).first->second;
  b.tokens = std::min(burst_, b.tokens + (now - b.updated) * per_second_);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

Handler Guard(Handler handler, RateLimiter& limiter, const std::vector<std::string>& api_keys,
              bool keyed) {
  return [handler = std::move(handler), &limiter, &api_keys, keyed](const Request& r) {
    if (!limiter.Allow(r.client)) {
      Response busy = ErrorResponse(429, "rate_limited", "too many requests from " + r.client);
      busy.headers.emplace_back("Retry-After", "1");
      return busy;
    }
    if (keyed && !api_keys.empty() && !HasKey(r, api_keys)) {
      return ErrorResponse(401, "unauthorized",
                           "an API key is required (X-Api-Key or Authorization: Bearer)");
    }
    return handler(r);
  };
}

Handler RequireAdminToken(Handler handler, const std::string& token) {
  return [handler = std::move(handler), &token](const Request& r) {
    if (token.empty())
      return ErrorResponse(403, "forbidden", "admin routes are off: set admin_token");
    if (r.Header("authorization") != "Bearer " + token) {
      return ErrorResponse(401, "unauthorized", "the admin token is required");
    }
    return handler(r);
  };
}

Handler RequireSigV4(Handler handler, const AwsCredentials& credentials, const base::Clock& clock,
                     std::function<Response(std::string_view reason)> refuse) {
  return [handler = std::move(handler), &credentials, &clock,
          refuse = std::move(refuse)](const Request& r) {
    if (!credentials.empty()) {
      if (auto verified = VerifySigV4(r, credentials, clock.NowMicros()); !verified) {
        return refuse(verified.error().message());
      }
    }
    return handler(r);
  };
}

}  // namespace promorec::http
