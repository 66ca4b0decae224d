// `promorec serve`: the HTTP server. Ingest (POST /v1/events) and the
// Kinesis-compatible API append to the event log; the SageMaker model-server
// contract (/ping, /invocations) scores with the model given by --model.
// With --sagemaker it follows the SageMaker container contract: port from
// SAGEMAKER_BIND_TO_PORT (default 8080) on all interfaces, model from
// /opt/ml/model (--sagemaker-root moves /opt/ml).
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/app/http_metrics.h"
#include "promorec/app/kinesis_metrics.h"
#include "promorec/app/retention_job.h"
#include "promorec/app/serve_config.h"
#include "promorec/app/serve_pipeline.h"
#include "promorec/app/serve_promotions.h"
#include "promorec/app/serve_routes.h"
#include "promorec/app/stop_signals.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/decide/decider.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/http/decisions_api.h"
#include "promorec/http/recommend_api.h"
#include "promorec/http/server.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/kinesis/kinesis_api.h"
#include "promorec/metrics/registry.h"
#include "promorec/model/serving_model.h"
#include "promorec/pipeline/profile_fold.h"
#include "promorec/sagemaker/sagemaker_api.h"
#include "promorec/scheduler/scheduler.h"

namespace promorec::app {
namespace {

// The flags whose values become settings (serve_config.h), by key.
constexpr std::pair<const char*, const char*> kSettingFlags[] = {
    {"--host", "host"},
    {"--port", "port"},
    {"--data-dir", "data_dir"},
    {"--model", "model"},
    {"--threads", "threads"},
    {"--workers", "workers"},
    {"--max-body", "max_body_bytes"},
    {"--max-header", "max_header_bytes"},
    {"--idle-timeout", "idle_timeout_seconds"},
    {"--profile-snapshot", "profile_snapshot_seconds"},
    {"--retention-check", "retention_check_seconds"},
    {"--profile-ttl", "profile_ttl_days"},
    {"--qualifying", "qualifying_events"},
    {"--exploration", "exploration"},
    {"--epsilon", "epsilon"},
    {"--temperature", "temperature"},
    {"--decision-seed", "decision_seed"},
    {"--dedup-window", "dedup_window_seconds"},
    {"--webhook-url", "webhook_urls"},
    {"--webhook-secret", "webhook_secret"},
    {"--smtp-url", "smtp_url"},
    {"--smtp-from", "smtp_from"},
    {"--rate-limit", "rate_limit_per_second"},
    {"--rate-burst", "rate_limit_burst"},
    {"--api-keys", "api_keys"},
    {"--admin-token", "admin_token"},
    {"--kinesis-shard-rate", "kinesis_shard_records_per_second"},
    {"--aws-credentials", "aws_credentials"},
    {"--tls-cert", "tls_cert"},
    {"--tls-key", "tls_key"}};

struct ServeOptions {
  std::string config_file;
  std::map<std::string, std::string> given;  // flag -> value, as typed
  GivenSettings flags;                       // setting key -> {value, flag}, given ones only
  bool sagemaker = false;
  std::string sagemaker_root = "/opt/ml";
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "promorec serve: %s\n", message.c_str());
  return kExitFailure;
}

int RunServe(ServeOptions o) {
  if (o.sagemaker) {
    if (const char* port = std::getenv("SAGEMAKER_BIND_TO_PORT"); port != nullptr) {
      o.flags["port"] = {port, "SAGEMAKER_BIND_TO_PORT"};
    }
    if (!o.flags.contains("model")) o.flags["model"] = {o.sagemaker_root + "/model", "--sagemaker"};
    o.flags["host"] = {"0.0.0.0", "--sagemaker"};
  }
  auto resolved = ResolveServeConfig(
      o.config_file,
      [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        return value == nullptr ? std::nullopt : std::optional<std::string>(value);
      },
      o.flags);
  if (!resolved) {
    std::fprintf(stderr, "promorec serve: %s\n", resolved.error().message().c_str());
    return kExitUnavailable;
  }
  const ServeConfig config = std::move(*resolved);
  // Before any thread starts (the event log's sync threads, the pipeline,
  // the server): every thread inherits the blocked signals.
  StopSignals stop;
  base::Env& env = base::DefaultEnv();
  base::Clock& clock = base::RealClock();
  model::ServingModelHandle models;
  if (!config.model.empty()) {
    auto loaded = model::ServingModel::Load(env, config.model);
    if (!loaded) return Fail("--model " + config.model + ": " + loaded.error().ToString());
    models.Set(std::move(*loaded));
  }
  auto promotions = LoadServePromotions(env, config.data_dir);
  if (!promotions) return Fail(promotions.error().ToString());
  auto store = eventlog::LocalStreamStore::Open(env, clock, config.data_dir + "/streams");
  if (!store) return Fail("cannot open the event log: " + store.error().ToString());
  auto clicks = ingest::OpenOrCreateStream(**store, std::string(ingest::kClickStream),
                                           ingest::kClickStreamShards);
  if (!clicks) return Fail("cannot open stream clicks: " + clicks.error().ToString());
  auto opened =
      OpenServePipeline(env, clock, config, **store, *clicks, models, promotions->promotions);
  if (!opened) return Fail(opened.error().ToString());
  ServePipeline& pipeline = **opened;
  pipeline::ProfileFold& profiles = *pipeline.fold;
  const http::RecommendApi recommend(*pipeline.decider);
  const http::DecisionsApi decisions(*pipeline.stage, pipeline.rewards);

  metrics::Registry registry;
  // Only while the gauges are set: a request-time reader holds its own.
  if (const auto model = models.Get(); model) {
    registry
        .GetGauge("promorec_model_info", "The model being served.",
                  {{"dir", config.model},
                   {"version", model->version()},
                   {"features", std::to_string(model->params().shape().num_features)}})
        .Set(1);
  }
  registry.GetGauge("promorec_model_loaded", "1 when a model is loaded.").Set(models.Get() ? 1 : 0);
  ingest::EventWriter writer(*clicks, registry);
  kinesis::KinesisOptions kinesis_options;
  kinesis_options.shard_records_per_second = config.kinesis_shard_records_per_second;
  kinesis_options.on_record = [&registry](std::string_view stream, std::string_view,
                                          kinesis::KinesisRecordKind kind) {
    CountKinesisRecord(registry, stream, kind);
  };
  kinesis_options.append_clicks = [&writer](std::span<const event::ClickEvent> events,
                                            std::span<eventlog::PutResult> results) {
    return writer.Append(events, results);
  };
  kinesis_options.click_stream = std::string(ingest::kClickStream);
  const kinesis::KinesisApi kinesis_api(**store, clock, kinesis_options);
  const sagemaker::SageMakerApi sagemaker(models);
  http::RateLimiter limiter(clock, config.rate_limit_per_second, config.rate_limit_burst);
  http::Router router =
      ServeRoutes(ServeParts{config, clock, models, writer, profiles, recommend, kinesis_api,
                             sagemaker, registry, limiter, pipeline, decisions});

  http::ServerOptions server_options;
  server_options.host = config.host;
  server_options.port = config.port;
  server_options.threads = config.threads;
  server_options.workers = config.workers;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.max_header_bytes = config.max_header_bytes;
  server_options.idle_timeout_seconds = config.idle_timeout_seconds;
  if (!config.tls_cert.empty()) {
    auto cert = base::ReadFileToString(env, config.tls_cert);
    if (!cert) return Fail("tls_cert: " + cert.error().ToString());
    auto key = base::ReadFileToString(env, config.tls_key);
    if (!key) return Fail("tls_key: " + key.error().ToString());
    server_options.tls_cert_pem = std::move(*cert);
    server_options.tls_key_pem = std::move(*key);
  }
  HttpRequestMetrics http_metrics(registry);
  server_options.observe = [&http_metrics](std::string_view route, int status, double seconds) {
    http_metrics.Observe(route, status, seconds);
  };
  // Jobs on a schedule: retention over every stream.
  scheduler::Scheduler jobs(clock);
  jobs.Add("retention", std::chrono::seconds(config.retention_check_seconds),
           [&store = **store, &registry] { return EnforceRetentionEverywhere(store, registry); });
  pipeline.Start();
  auto server = http::Server::Start(server_options, std::move(router));
  if (!server) {
    (void)pipeline.StopAndSave();
    return Fail(server.error().ToString());
  }
  jobs.Start();
  std::printf("promorec serve: listening on %s://%s:%u (data directory %s, model %s)\n",
              config.tls_cert.empty() ? "http" : "https", config.host.c_str(),
              static_cast<unsigned>((*server)->port()), config.data_dir.c_str(),
              models.Get() ? config.model.c_str() : "none");
  std::printf("promorec serve: %zu promotions from %s; %s\n", promotions->promotions.size(),
              promotions->source.c_str(), profiles.Summary().c_str());
  std::fflush(stdout);
  const int received = stop.Wait();
  // Stop waits for requests in flight; every append they made is durable
  // before their answer, so nothing acknowledged is left to flush.
  (*server)->Stop();
  jobs.Stop();
  auto saved = pipeline.StopAndSave();
  if (!saved) return Fail("cannot write the profile snapshot: " + saved.error().ToString());
  std::printf("promorec serve: stopped (signal %d); %llu profiles saved to %s\n", received,
              static_cast<unsigned long long>(*saved), profiles.snapshot_path().c_str());
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* c = app.add_subcommand(
      "serve",
      "run the HTTP server: event ingest, Kinesis-compatible API, SageMaker contract, "
      "recommendations");
  c->add_option("--config", o->config_file,
                "JSON settings file; PROMOREC_<KEY> variables override it, flags override both");
  const std::map<std::string, std::string> help = {
      {"--host", "address to listen on (default 127.0.0.1; anything else is a choice)"},
      {"--port", "port to listen on (default 8080; 0 = any free port)"},
      {"--data-dir", "data directory (default ./promorec-data)"},
      {"--model", "model directory written by `promorec train`"},
      {"--threads", "event loops (default 0 = one per core)"},
      {"--workers",
       "threads for ingest, which waits for durability; requests waiting together share "
       "one fsync (default 32)"},
      {"--max-body", "largest request body in bytes (default 8 MiB)"},
      {"--max-header", "most bytes of request line and headers (default 32 KiB)"},
      {"--idle-timeout", "seconds before an idle connection is closed (default 60)"},
      {"--profile-snapshot",
       "seconds between profile snapshots while serving: a restart after a crash replays at "
       "most this much of the clicks stream (default 60)"},
      {"--qualifying",
       "event types a promotion is chosen for, comma-separated: view, click, buy (default "
       "view)"},
      {"--exploration", "epsilon_greedy (default), softmax or greedy"},
      {"--epsilon", "share of decisions that explore, for epsilon_greedy (default 0.05)"},
      {"--temperature", "softmax temperature, in units of the served score (default 0.05)"},
      {"--decision-seed", "seed mixed with each event id for the policy's randomness (default 0)"},
      {"--dedup-window",
       "seconds within which a repeated event id has no effect; 0 = off (default 3600)"},
      {"--webhook-url",
       "URLs (comma-separated) each decision is POSTed to, signed (docs/api/webhooks.md)"},
      {"--webhook-secret", "the secret webhook signatures use (at least 16 characters)"},
      {"--smtp-url", "SMTP server for email to shoppers: smtp://host:port or smtps://"},
      {"--smtp-from", "From address of the email"},
      {"--retention-check",
       "seconds between retention runs over every stream, as each stream's settings say "
       "(default 3600)"},
      {"--profile-ttl",
       "days without an event after which a shopper's profile is dropped (event time; "
       "default 90, 0 = never)"},
      {"--rate-limit", "requests/s per client address (default 0 = no limit)"},
      {"--rate-burst", "requests a client may burst (default: one second's worth)"},
      {"--api-keys", "comma-separated keys required on /v1/events and /v1/recommendations"},
      {"--admin-token", "token for /v1/admin/* (at least 16 characters)"},
      {"--kinesis-shard-rate", "records/s each Kinesis shard accepts (default 0 = no limit)"},
      {"--aws-credentials",
       "ACCESS_KEY:SECRET pairs: check SigV4 signatures on the Kinesis and SageMaker routes"},
      {"--tls-cert", "PEM certificate (chain) file: serve HTTPS (with --tls-key)"},
      {"--tls-key", "PEM private key file for --tls-cert"}};
  for (const auto& [flag, key] : kSettingFlags) {
    c->add_option(flag, o->given[flag], help.at(flag));
  }
  c->add_flag("--sagemaker", o->sagemaker,
              "SageMaker container contract: SAGEMAKER_BIND_TO_PORT, all interfaces, "
              "/opt/ml/model");
  c->add_option("--sagemaker-root", o->sagemaker_root,
                "where the SageMaker layout is (a test or a local run)")
      ->capture_default_str();
  c->callback([o, c, &result] {
    for (const auto& [flag, key] : kSettingFlags) {
      if (c->count(flag) > 0) o->flags[key] = {o->given[flag], flag};
    }
    result.exit_code = RunServe(*o);
  });
}

}  // namespace promorec::app
