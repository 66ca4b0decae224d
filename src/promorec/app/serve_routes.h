// The route table of `promorec serve`: which path goes to which module, and
// the protections each route has (rate limit, API keys, admin token, SigV4;
// http/middleware.h). The handlers are thin adapters; everything they use
// is built by serve_command.cc and passed in.
// Thread-safety: built once on the main thread; the routes then run on the
// server's threads.
#pragma once

#include "promorec/app/serve_config.h"
#include "promorec/app/serve_pipeline.h"
#include "promorec/base/clock.h"
#include "promorec/http/decisions_api.h"
#include "promorec/http/middleware.h"
#include "promorec/http/recommend_api.h"
#include "promorec/http/server.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/kinesis/kinesis_api.h"
#include "promorec/metrics/registry.h"
#include "promorec/model/serving_model.h"
#include "promorec/pipeline/profile_fold.h"
#include "promorec/sagemaker/sagemaker_api.h"

namespace promorec::app {

// What the routes serve from; all of it outlives the server.
struct ServeParts {
  const ServeConfig& config;
  const base::Clock& clock;
  const model::ServingModelHandle& models;
  ingest::EventWriter& writer;
  const pipeline::ProfileFold& profiles;
  const http::RecommendApi& recommend;
  const kinesis::KinesisApi& kinesis;
  const sagemaker::SageMakerApi& sagemaker;
  metrics::Registry& registry;
  http::RateLimiter& limiter;
  const ServePipeline& pipeline;
  const http::DecisionsApi& decisions;
};

// The handlers keep references to what `parts` refers to, not to `parts`.
http::Router ServeRoutes(const ServeParts& parts);

}  // namespace promorec::app
