#include "promorec/app/serve_routes.h"

#include <string>
#include <vector>

#include "promorec/base/json_string.h"
#include "promorec/http/ingest_api.h"
#include "promorec/http/notifications_api.h"

namespace promorec::app {
namespace {

// How long a recommendation waits for the profiles to fold in the events
// acknowledged before it (normally well under a millisecond).
constexpr std::int64_t kProfileWaitMicros = 500'000;

http::Response FromKinesis(const kinesis::KinesisReply& reply) {
  return http::Response{reply.status, reply.content_type, reply.body, {}};
}

http::Response FromSageMaker(const sagemaker::SageMakerReply& reply) {
  return http::Response{reply.status, reply.content_type, reply.body, reply.headers};
}

// An error in the Kinesis API's own shape.
http::Response KinesisError(std::string_view type, std::string_view message) {
  std::string body = "{\"__type\":";
  base::AppendJsonString(type, &body);
  body += ",\"message\":";
  base::AppendJsonString(message, &body);
  body += "}";
  return http::Response{400, std::string(kinesis::kKinesisContentType), body, {}};
}

// The Kinesis API on POST /: the operation is in X-Amz-Target. AWS's
// clients always sign; the signature is checked when credentials are
// configured.
http::Handler KinesisRoute(const ServeParts& parts) {
  http::Handler verified = http::RequireSigV4(
      [&kinesis = parts.kinesis](const http::Request& r) {
        return FromKinesis(kinesis.Handle(r.Header("x-amz-target"), r.body));
      },
      parts.config.aws_credentials, parts.clock,
      [](std::string_view reason) { return KinesisError("InvalidSignatureException", reason); });
  return [verified = std::move(verified)](const http::Request& r) {
    if (r.Header("x-amz-target").empty()) {
      return KinesisError("UnknownOperationException",
                          "POST / needs an X-Amz-Target header naming a Kinesis operation");
    }
    if (!r.Header("authorization").starts_with("AWS4-HMAC-SHA256")) {
      return KinesisError("MissingAuthenticationTokenException",
                          "the request is not signed with AWS Signature Version 4");
    }
    return verified(r);
  };
}

// SageMaker's /invocations, signature-checked when credentials are set.
http::Handler InvocationsRoute(const ServeParts& parts) {
  return http::RequireSigV4(
      [&sagemaker = parts.sagemaker](const http::Request& r) {
        return FromSageMaker(
            sagemaker.Invoke(r.Header("content-type"), r.Header("accept"), r.body));
      },
      parts.config.aws_credentials, parts.clock,
      [](std::string_view reason) {
        http::Response refused = http::ErrorResponse(403, "invalid_signature", reason);
        refused.headers.emplace_back("x-amzn-ErrorType", "InvalidSignatureException");
        return refused;
      });
}

// A recommendation reflects every event acknowledged before it was asked
// for: it waits (briefly) for the profile fold to catch up with them.
http::Handler RecommendationsRoute(const ServeParts& parts) {
  metrics::Counter& stale = parts.registry.GetCounter(
      "promorec_profile_stale_reads_total",
      "Recommendations answered before the profiles had folded in every acknowledged event.");
  return [&profiles = parts.profiles, &writer = parts.writer, &recommend = parts.recommend,
          &clock = parts.clock, &stale](const http::Request& r) {
    thread_local std::vector<std::uint64_t> acknowledged;  // no allocation per request
    writer.LastAcknowledged(&acknowledged);
    if (!profiles.WaitUntilApplied(acknowledged, kProfileWaitMicros)) stale.Add();
    return recommend.Handle(r, clock.NowMicros());
  };
}

}  // namespace

http::Router ServeRoutes(const ServeParts& parts) {
  const ServeConfig& config = parts.config;
  http::Router router;
  router.Add("GET", "/healthz", [](const http::Request&) {
    return http::Response{200, "application/json", "{\"status\":\"ok\"}\n", {}};
  });
  router.Add("GET", "/readyz", [&models = parts.models](const http::Request&) {
    return models.Get()
               ? http::Response{200, "application/json", "{\"status\":\"ready\"}\n", {}}
               : http::ErrorResponse(503, "model_not_loaded", "no model: start with --model DIR");
  });
  router.Add("GET", "/ping", [&sagemaker = parts.sagemaker](const http::Request&) {
    return FromSageMaker(sagemaker.Ping());
  });
  const http::Handler invoke =
      http::Guard(InvocationsRoute(parts), parts.limiter, config.api_keys, false);
  router.Add("POST", "/invocations", invoke);
  router.Add("POST", "/endpoints/{name}/invocations", invoke);
  router.Add("POST", "/", http::Guard(KinesisRoute(parts), parts.limiter, config.api_keys, false),
             http::Execution::kWorker);
  router.Add("GET", "/v1/admin/config",
             http::RequireAdminToken(
                 [&config](const http::Request&) {
                   return http::Response{200, "application/json", ServeConfigJson(config), {}};
                 },
                 config.admin_token));
  // Ingest handlers wait while their events become durable; they run on
  // the workers, so requests that arrive together share one fsync (the
  // log's group commit) while the loops go on serving.
  router.Add("POST", "/v1/events",
             http::Guard(
                 [&writer = parts.writer, &clock = parts.clock](const http::Request& r) {
                   return http::HandleEvents(r, clock.NowMicros(), writer);
                 },
                 parts.limiter, config.api_keys, true),
             http::Execution::kWorker);
  router.Add("GET", "/v1/recommendations",
             http::Guard(RecommendationsRoute(parts), parts.limiter, config.api_keys, true));
  router.Add("GET", "/metrics",
             [&registry = parts.registry, &pipeline = parts.pipeline](const http::Request&) {
               pipeline.ExportMetrics(registry);
               return http::Response{200, "text/plain; version=0.0.4", registry.Exposition(), {}};
             });
  // Live push: each shopper's decisions, and every shopper's for operators.
  http::AddNotificationRoutes(
      &router, parts.pipeline.hub.get(), http::NotificationsApiOptions{},
      [&parts, &config](http::Handler h) {
        return http::Guard(std::move(h), parts.limiter, config.api_keys, true);
      },
      [&config](http::Handler h) {
        return http::RequireAdminToken(std::move(h), config.admin_token);
      });
  // Decisions log durably before they answer: on the workers.
  router.Add(
      "POST", "/v1/decisions",
      http::Guard([&decisions = parts.decisions, &clock = parts.clock](
                      const http::Request& r) { return decisions.Decide(r, clock.NowMicros()); },
                  parts.limiter, config.api_keys, true),
      http::Execution::kWorker);
  router.Add(
      "POST", "/v1/decisions/{id}/reward",
      http::Guard([&decisions = parts.decisions, &clock = parts.clock](
                      const http::Request& r) { return decisions.Reward(r, clock.NowMicros()); },
                  parts.limiter, config.api_keys, true),
      http::Execution::kWorker);
  return router;
}

}  // namespace promorec::app
