// The decision pipeline of `promorec serve`, put together: the streams it
// writes (`impressions`, `rewards`), the live hub that pushes decisions to
// shoppers (resuming from the `impressions` stream), the decider, the
// decision stage and the consumer of `clicks` that runs dedup, profiles
// and decisions (pipeline/profile_fold.h).
// Thread-safety: built and torn down on the main thread.
#pragma once

#include <memory>
#include <vector>

#include "promorec/app/serve_config.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/decide/decider.h"
#include "promorec/event/catalogue.h"
#include "promorec/eventlog/stream.h"
#include "promorec/metrics/registry.h"
#include "promorec/model/serving_model.h"
#include "promorec/notify/delivery_queue.h"
#include "promorec/notify/live_hub.h"
#include "promorec/pipeline/decision_stage.h"
#include "promorec/pipeline/lake_consumer.h"
#include "promorec/pipeline/notify_consumer.h"
#include "promorec/pipeline/profile_fold.h"

namespace promorec::app {

struct ServePipeline {
  std::shared_ptr<eventlog::Stream> impressions;
  std::shared_ptr<eventlog::Stream> rewards;
  std::shared_ptr<eventlog::Stream> examples;
  std::unique_ptr<notify::LiveHub> hub;
  std::unique_ptr<decide::Decider> decider;
  std::unique_ptr<pipeline::DecisionStage> stage;
  std::unique_ptr<pipeline::ProfileFold> fold;
  // Outbound channels, when configured, and the consumer of the ad log
  // that feeds them (null without channels).
  std::unique_ptr<notify::DeliveryQueue> webhooks;
  std::unique_ptr<notify::DeliveryQueue> email;
  std::unique_ptr<pipeline::NotifyConsumer> notifier;
  // The lake: clicks from the pipeline itself, decisions and examples
  // from their streams.
  std::shared_ptr<lake::TableWriter> clicks_lake;
  std::unique_ptr<pipeline::LakeConsumer> decisions_lake;
  std::unique_ptr<pipeline::LakeConsumer> examples_lake;

  // Starts the consumers (after start-up replay), and stops them: the
  // profiles and pipeline state are saved, the channels' queues stopped
  // (what they still hold is dead-lettered), the notify checkpoint saved.
  void Start();
  [[nodiscard]] base::Result<std::uint64_t> StopAndSave();

  // Copies the pipeline's counters into `registry` (before each scrape).
  void ExportMetrics(metrics::Registry& registry) const;
};

[[nodiscard]] base::Result<std::unique_ptr<ServePipeline>> OpenServePipeline(
    base::Env& env, base::Clock& clock, const ServeConfig& config, eventlog::StreamStore& store,
    std::shared_ptr<eventlog::Stream> clicks, const model::ServingModelHandle& models,
    std::vector<event::Promotion> promotions);

}  // namespace promorec::app
