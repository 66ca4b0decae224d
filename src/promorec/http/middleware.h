// What wraps route handlers before they run: a per-client rate limit, the
// API key check, the admin token check and AWS Signature Version 4
// verification for the AWS-compatible routes. Each takes a Handler and
// returns one, so a route's protections read as its definition. Time comes
// from the injected Clock, so limits and signature windows are tested
// without sleeping.
// Thread-safety: the returned handlers may run on many threads at once; a
// RateLimiter is internally locked. Everything a wrapper refers to (the
// limiter, the key list, the clock) must outlive the router.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/http/server.h"
#include "promorec/http/sigv4.h"

namespace promorec::http {

// A token bucket per client address: `per_second` requests a second, bursts
// of up to `burst` (0: one second's worth). `per_second` 0 allows all.
class RateLimiter {
 public:
  RateLimiter(const base::Clock& clock, double per_second, double burst);

  bool Allow(const std::string& client);

 private:
  struct Bucket {
    double tokens;
    double updated;  // seconds on the monotonic clock
  };
  const base::Clock& clock_;
  double per_second_;
  double burst_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

// 429 (with Retry-After) past the client's rate; then, for `keyed` routes
// when `api_keys` is not empty, 401 without one of the keys (X-Api-Key or
// Authorization: Bearer).
Handler Guard(Handler handler, RateLimiter& limiter, const std::vector<std::string>& api_keys,
              bool keyed);

// 403 when admin routes are off (no token), 401 without the token
// (Authorization: Bearer TOKEN).
Handler RequireAdminToken(Handler handler, const std::string& token);

// When `credentials` are configured, the request's SigV4 signature must
// verify (sigv4.h) at the clock's time; otherwise `refuse` answers with the
// reason, in the route's own error shape.
Handler RequireSigV4(Handler handler, const AwsCredentials& credentials, const base::Clock& clock,
                     std::function<Response(std::string_view reason)> refuse);

}  // namespace promorec::http
