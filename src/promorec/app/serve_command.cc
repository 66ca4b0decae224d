// `promorec serve`: the HTTP server. Ingest (POST /v1/events) and the
// Kinesis-compatible API append to the event log; the SageMaker model-server
// contract (/ping, /invocations) scores with the model given by --model.
// With --sagemaker it follows the SageMaker container contract: port from
// SAGEMAKER_BIND_TO_PORT (default 8080) on all interfaces, model from
// /opt/ml/model (--sagemaker-root moves /opt/ml).
#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/app/embedded_files.h"
#include "promorec/app/event_appender.h"
#include "promorec/app/stop_signals.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/event/catalogue_csv.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/http/ingest_api.h"
#include "promorec/http/kinesis_api.h"
#include "promorec/http/recommend_api.h"
#include "promorec/http/sagemaker_api.h"
#include "promorec/http/server.h"
#include "promorec/metrics/registry.h"
#include "promorec/model/model_file.h"

namespace promorec::app {
namespace {

struct ServeOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string model_dir;
  unsigned threads = 0;
  std::size_t max_body_bytes = 8 << 20;
  double kinesis_shard_records_per_second = 0;
  bool sagemaker = false;
  std::string sagemaker_root = "/opt/ml";
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "promorec serve: %s\n", message.c_str());
  return kExitFailure;
}

http::Response FromKinesis(const http::KinesisReply& reply) {
  return http::Response{reply.status, reply.content_type, reply.body, {}};
}

http::Response FromSageMaker(const http::SageMakerReply& reply) {
  return http::Response{reply.status, reply.content_type, reply.body, reply.headers};
}

// The Kinesis API on POST /: the operation is in X-Amz-Target, and AWS's
// clients always sign (the signature is not checked).
http::Response KinesisRoute(const http::KinesisApi& kinesis, const http::Request& request) {
  const std::string_view target = request.Header("x-amz-target");
  if (target.empty()) {
    return FromKinesis({400,
                        "{\"__type\":\"UnknownOperationException\",\"message\":\"POST / needs an "
                        "X-Amz-Target header naming a Kinesis operation\"}",
                        std::string(http::kKinesisContentType)});
  }
  if (!request.Header("authorization").starts_with("AWS4-HMAC-SHA256")) {
    return FromKinesis({400,
                        "{\"__type\":\"MissingAuthenticationTokenException\",\"message\":\"the "
                        "request is not signed with AWS Signature Version 4\"}",
                        std::string(http::kKinesisContentType)});
  }
  return FromKinesis(kinesis.Handle(target, request.body));
}

int RunServe(ServeOptions o) {
  if (o.sagemaker) {
    if (const char* port = std::getenv("SAGEMAKER_BIND_TO_PORT"); port != nullptr) {
      const std::string_view text(port);
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
        return Fail("SAGEMAKER_BIND_TO_PORT '" + std::string(text) + "' is not a port number");
      }
      o.port = static_cast<std::uint16_t>(value);
    }
    if (o.model_dir.empty()) o.model_dir = o.sagemaker_root + "/model";
    o.host = "0.0.0.0";
  }
  base::Env& env = base::DefaultEnv();
  std::shared_ptr<const model::ModelFile> model;
  if (!o.model_dir.empty()) {
    auto read = model::ReadModel(env, o.model_dir);
    if (!read) return Fail("--model " + o.model_dir + ": " + read.error().ToString());
    model = std::make_shared<const model::ModelFile>(std::move(*read));
  }
  // The promotions scored: DATA_DIR/promotions.csv, else the demo shop's.
  const std::string promotions_path = o.data_dir + "/promotions.csv";
  const bool own_promotions = env.FileExists(promotions_path).value_or(false);
  std::string promotions_text;
  if (own_promotions) {
    auto text = base::ReadFileToString(env, promotions_path);
    if (!text) return Fail(text.error().ToString());
    promotions_text = std::move(*text);
  } else {
    promotions_text = std::string(EmbeddedFile("demo-catalogue/promotions.csv"));
  }
  auto promotions = event::ParsePromotionsCsv(
      promotions_text, own_promotions ? promotions_path : "demo-catalogue/promotions.csv");
  if (!promotions) return Fail(promotions.error().ToString());
  const http::RecommendApi recommend(model, std::move(*promotions));
  auto store = eventlog::LocalStreamStore::Open(env, base::RealClock(), o.data_dir + "/streams");
  if (!store) return Fail("cannot open the event log: " + store.error().ToString());
  auto clicks = OpenOrCreateStream(**store, std::string(kClickStream), kClickStreamShards);
  if (!clicks) return Fail("cannot open stream clicks: " + clicks.error().ToString());

  metrics::Registry registry;
  registry.GetGauge("promorec_model_loaded", "1 when a model is loaded.").Set(model ? 1 : 0);
  if (model) {
    registry
        .GetGauge("promorec_model_info", "The model being served.",
                  {{"dir", o.model_dir},
                   {"features", std::to_string(model->params.shape().num_features)}})
        .Set(1);
  }
  http::KinesisOptions kinesis_options;
  kinesis_options.shard_records_per_second = o.kinesis_shard_records_per_second;
  kinesis_options.on_record = [&registry](std::string_view stream, std::string_view) {
    registry
        .GetCounter("promorec_kinesis_records_total", "Records stored through the Kinesis API.",
                    {{"stream", std::string(stream)}})
        .Add();
  };
  const http::KinesisApi kinesis(**store, base::RealClock(), kinesis_options);
  const http::SageMakerApi sagemaker(model);
  const std::shared_ptr<eventlog::Stream> click_stream = *clicks;

  http::Router router;
  router.Add("GET", "/healthz", [](const http::Request&) {
    return http::Response{200, "application/json", "{\"status\":\"ok\"}\n", {}};
  });
  router.Add("GET", "/readyz", [&model](const http::Request&) {
    return model ? http::Response{200, "application/json", "{\"status\":\"ready\"}\n", {}}
                 : http::ErrorResponse(503, "model_not_loaded", "no model: start with --model DIR");
  });
  router.Add("GET", "/ping",
             [&sagemaker](const http::Request&) { return FromSageMaker(sagemaker.Ping()); });
  const http::Handler invoke = [&sagemaker](const http::Request& r) {
    return FromSageMaker(sagemaker.Invoke(r.Header("content-type"), r.Header("accept"), r.body));
  };
  router.Add("POST", "/invocations", invoke);
  router.Add("POST", "/endpoints/{name}/invocations", invoke);
  router.Add("POST", "/", [&kinesis](const http::Request& r) { return KinesisRoute(kinesis, r); });
  metrics::Histogram& append_seconds = registry.GetHistogram(
      "promorec_log_append_seconds", "Time to make one request's events durable in the event log.",
      {}, metrics::LatencyBounds());
  router.Add("POST", "/v1/events", [&](const http::Request& r) {
    return http::HandleEvents(
        r, base::RealClock().NowMicros(),
        [&](std::span<const event::ClickEvent> events) -> base::Status {
          const auto started = std::chrono::steady_clock::now();
          EventAppender appender(click_stream, kAppendBatchRecords);
          for (const event::ClickEvent& e : events) PROMOREC_RETURN_IF_ERROR(appender.Add(e));
          PROMOREC_RETURN_IF_ERROR(appender.Flush());
          append_seconds.Observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
          return {};
        },
        [&registry](const http::DecodedEvents& decoded) {
          registry.GetCounter("promorec_events_accepted_total", "Events stored.")
              .Add(decoded.events.size());
          for (const auto& [index, rejection] : decoded.rejected) {
            registry
                .GetCounter("promorec_events_rejected_total", "Events rejected, by reason.",
                            {{"reason", std::string(event::ReasonName(rejection.error.reason))}})
                .Add();
          }
        });
  });
  router.Add("GET", "/v1/recommendations", [&recommend](const http::Request& r) {
    return recommend.Handle(r, base::RealClock().NowMicros());
  });
  router.Add("GET", "/metrics", [&registry](const http::Request&) {
    return http::Response{200, "text/plain; version=0.0.4", registry.Exposition(), {}};
  });

  StopSignals stop;  // before the server starts its threads
  http::ServerOptions server_options;
  server_options.host = o.host;
  server_options.port = o.port;
  server_options.threads = o.threads;
  server_options.max_body_bytes = o.max_body_bytes;
  server_options.observe = [&registry](const std::string& route, int status, double seconds) {
    registry
        .GetCounter("promorec_http_requests_total", "HTTP requests by route and status.",
                    {{"route", route}, {"status", std::to_string(status)}})
        .Add();
    registry
        .GetHistogram("promorec_http_request_seconds", "HTTP request handling time by route.",
                      {{"route", route}}, metrics::LatencyBounds())
        .Observe(seconds);
  };
  auto server = http::Server::Start(server_options, std::move(router));
  if (!server) return Fail(server.error().ToString());
  std::printf("promorec serve: listening on http://%s:%u (data directory %s, model %s)\n",
              o.host.c_str(), static_cast<unsigned>((*server)->port()), o.data_dir.c_str(),
              model ? o.model_dir.c_str() : "none");
  std::fflush(stdout);
  const int received = stop.Wait();
  // Stop waits for requests in flight; every append they made is durable
  // before their answer, so nothing acknowledged is left to flush.
  (*server)->Stop();
  std::printf("promorec serve: stopped (signal %d)\n", received);
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* c = app.add_subcommand(
      "serve", "run the HTTP server: event ingest, Kinesis-compatible API, SageMaker contract");
  AddDataDirOption(*c, &o->data_dir);
  c->add_option("--host", o->host, "address to listen on (anything but 127.0.0.1 is a choice)")
      ->capture_default_str();
  c->add_option("--port", o->port, "port to listen on (0 = any free port)")->capture_default_str();
  c->add_option("--model", o->model_dir, "model directory written by `promorec train`");
  c->add_option("--threads", o->threads, "server threads (0 = one per core)")
      ->capture_default_str();
  c->add_option("--max-body", o->max_body_bytes, "largest request body in bytes")
      ->capture_default_str();
  c->add_option("--kinesis-shard-rate", o->kinesis_shard_records_per_second,
                "records/s each Kinesis shard accepts (0 = no limit)")
      ->capture_default_str();
  c->add_flag("--sagemaker", o->sagemaker,
              "SageMaker container contract: SAGEMAKER_BIND_TO_PORT, all interfaces, "
              "/opt/ml/model");
  c->add_option("--sagemaker-root", o->sagemaker_root,
                "where the SageMaker layout is (a test or a local run)")
      ->capture_default_str();
  c->callback([o, &result] { result.exit_code = RunServe(*o); });
}

}  // namespace promorec::app
