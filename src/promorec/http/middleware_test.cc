#include "promorec/http/middleware.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace promorec::http {
namespace {

Request From(std::string client, std::map<std::string, std::string> headers = {}) {
  Request r;
  r.method = "GET";
  r.path = "/x";
  r.client = std::move(client);
  r.headers = std::move(headers);
  return r;
}

const Handler kOk = [](const Request&) { return Response{200, "text/plain", "ok", {}}; };

TEST(RateLimiterTest, BurstThenRefillByTheClock) {
  base::FakeClock clock;
  RateLimiter limiter(clock, 2, 3);
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a")) << "the burst of 3 is spent";
  EXPECT_TRUE(limiter.Allow("b")) << "each client has its own bucket";
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(limiter.Allow("a")) << "half a second at 2/s gives one token";
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(std::chrono::seconds(60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a")) << "a long pause refills up to the burst only";
  RateLimiter unlimited(clock, 0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(unlimited.Allow("a"));
}

TEST(MiddlewareTest, GuardLimitsRateThenChecksKeys) {
  base::FakeClock clock;
  RateLimiter limiter(clock, 1, 2);
  const std::vector<std::string> keys = {"k1", "k2"};
  const Handler keyed = Guard(kOk, limiter, keys, true);
  EXPECT_EQ(keyed(From("a", {{"x-api-key", "k2"}})).status, 200);
  EXPECT_EQ(keyed(From("a", {{"authorization", "Bearer k1"}})).status, 200);
  const Response busy = keyed(From("a", {{"x-api-key", "k1"}}));
  EXPECT_EQ(busy.status, 429);
  EXPECT_EQ(busy.headers.at(0), (std::pair<std::string, std::string>("Retry-After", "1")));
  EXPECT_EQ(keyed(From("b", {{"x-api-key", "nope"}})).status, 401);
  EXPECT_EQ(keyed(From("c")).status, 401);
  EXPECT_EQ(Guard(kOk, limiter, keys, false)(From("d")).status, 200) << "an unkeyed route";
  const std::vector<std::string> none;
  EXPECT_EQ(Guard(kOk, limiter, none, true)(From("e")).status, 200) << "no keys configured";
}

TEST(MiddlewareTest, AdminTokenIsRequiredAndAbsentTokenTurnsAdminOff) {
  const std::string token = "0123456789abcdef";
  const Handler admin = RequireAdminToken(kOk, token);
  EXPECT_EQ(admin(From("a", {{"authorization", "Bearer 0123456789abcdef"}})).status, 200);
  EXPECT_EQ(admin(From("a", {{"authorization", "Bearer wrong"}})).status, 401);
  EXPECT_EQ(admin(From("a")).status, 401);
  const std::string off;
  EXPECT_EQ(RequireAdminToken(kOk, off)(From("a", {{"authorization", "Bearer "}})).status, 403);
}

TEST(MiddlewareTest, SigV4IsCheckedOnlyWithCredentials) {
  base::FakeClock clock(1'700'000'000'000'000);
  std::string refused_for;
  const auto refuse = [&refused_for](std::string_view reason) {
    refused_for = std::string(reason);
    return ErrorResponse(403, "invalid_signature", reason);
  };
  const AwsCredentials credentials = {{"AKID", "secret"}};
  const Handler checked = RequireSigV4(kOk, credentials, clock, refuse);
  EXPECT_EQ(checked(From("a", {{"authorization", "AWS4-HMAC-SHA256 Credential=AKID/x"}})).status,
            403);
  EXPECT_FALSE(refused_for.empty());
  const AwsCredentials none;
  EXPECT_EQ(RequireSigV4(kOk, none, clock, refuse)(From("a")).status, 200);
}

}  // namespace
}  // namespace promorec::http
