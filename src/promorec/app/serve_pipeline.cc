#include "promorec/app/serve_pipeline.h"

#include <string>
#include <utility>

#include "promorec/base/json_string.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/notify/email.h"
#include "promorec/notify/live_position.h"
#include "promorec/notify/webhook.h"
#include "promorec/pipeline/decision_record.h"
#include "promorec/pipeline/reward_record.h"
#include "promorec/policy/exploration.h"

namespace promorec::app {

namespace {

constexpr std::uint32_t kImpressionsShards = 4;
constexpr std::uint32_t kRewardsShards = 1;

// A shopper's notifications after `after`, read back from the ad log: one
// shopper's decisions are all in one shard (the partition key is the
// shopper), so resuming reads that shard from the client's position on.
base::Status Backfill(eventlog::Stream& impressions, std::string_view user,
                      const notify::LivePosition& after, const notify::BackfillEmit& emit) {
  PROMOREC_ASSIGN_OR_RETURN(
      std::uint64_t next,
      impressions.Resolve(after.shard, {eventlog::IteratorType::kAfterSequence, after.sequence}));
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const eventlog::ReadBatch batch,
                              impressions.Read(after.shard, next, eventlog::ReadLimits{}));
    for (const eventlog::RecordView& record : batch.records) {
      // The user id is in every record; skip others' records unparsed.
      if (record.partition_key != user) continue;
      auto decision =
          pipeline::ParseDecisionJson(record.data, pipeline::CandidateParsing::kSkipCandidates);
      if (!decision || decision->user_id != user) continue;
      if (!emit(pipeline::NotificationOf(*decision, after.shard, record.sequence))) return {};
    }
    if (batch.records.empty() || batch.next_sequence == next) return {};
    next = batch.next_sequence;
  }
}

}  // namespace

base::Result<std::unique_ptr<ServePipeline>> OpenServePipeline(
    base::Env& env, base::Clock& clock, const ServeConfig& config, eventlog::StreamStore& store,
    std::shared_ptr<eventlog::Stream> clicks, const model::ServingModelHandle& models,
    std::vector<event::Promotion> promotions) {
  auto p = std::make_unique<ServePipeline>();
  // The ad log and the examples are derived from the clicks stream, which
  // is synced before each acknowledgement: after a power loss the decision
  // stage replays clicks from its snapshot and logs again, identically,
  // whatever the interval sync had not reached. Their consumers sync them
  // before saving a position in them (docs/formats/pipeline-state.md).
  PROMOREC_ASSIGN_OR_RETURN(
      p->impressions,
      ingest::OpenOrCreateStream(store, std::string(pipeline::kImpressionsStream),
                                 kImpressionsShards, eventlog::Durability::kInterval));
  PROMOREC_ASSIGN_OR_RETURN(
      p->examples, ingest::OpenOrCreateStream(store, std::string(pipeline::kExamplesStream),
                                              kImpressionsShards, eventlog::Durability::kInterval));
  PROMOREC_ASSIGN_OR_RETURN(
      p->rewards,
      ingest::OpenOrCreateStream(store, std::string(pipeline::kRewardsStream), kRewardsShards));
  p->hub = std::make_unique<notify::LiveHub>(
      notify::LiveHubOptions{},
      [impressions = p->impressions](std::string_view user, const notify::LivePosition& after,
                                     const notify::BackfillEmit& emit) {
        return Backfill(*impressions, user, after, emit);
      });

  pipeline::DecisionStageOptions stage_options;
  stage_options.qualifying.clear();
  for (const std::string& type : config.qualifying_events) {
    if (const auto parsed = event::ParseEventType(type))
      stage_options.qualifying.push_back(*parsed);
  }
  PROMOREC_ASSIGN_OR_RETURN(stage_options.policy.exploration.kind,
                            policy::ParseExplorationKind(config.exploration));
  stage_options.policy.exploration.epsilon = config.epsilon;
  stage_options.policy.exploration.temperature = config.temperature;
  stage_options.policy.exploration.seed = config.decision_seed;
  stage_options.attribution.max_bytes = config.attribution_max_bytes;
  stage_options.policy.caps.per_user_max = config.cap_user_max;
  stage_options.policy.caps.per_user_window_us =
      std::int64_t{config.cap_user_window_seconds} * 1'000'000;
  stage_options.policy.caps.per_promotion_max = config.cap_promotion_max;
  stage_options.policy.caps.per_promotion_window_us =
      std::int64_t{config.cap_promotion_window_seconds} * 1'000'000;

  PROMOREC_ASSIGN_OR_RETURN(const auto click_shards, clicks->DescribeShards());
  stage_options.clicks_shards = static_cast<std::uint32_t>(click_shards.size());
  pipeline::ProfileFoldOptions fold_options;
  fold_options.snapshot_interval_us = std::int64_t{config.profile_snapshot_seconds} * 1'000'000;
  fold_options.profile_ttl_us = std::int64_t{config.profile_ttl_days} * 24 * 3'600'000'000;
  if (config.dedup_window_seconds > 0) {
    pipeline::DedupOptions dedup;
    dedup.window_us = std::int64_t{config.dedup_window_seconds} * 1'000'000;
    dedup.max_bytes = config.dedup_max_bytes;
    fold_options.dedup = dedup;
  }
  {
    PROMOREC_ASSIGN_OR_RETURN(
        auto writer, lake::TableWriter::Open(&env, &clock, config.data_dir + "/lake",
                                             config.data_dir + "/catalog", pipeline::ClicksTable(),
                                             static_cast<std::uint32_t>(click_shards.size())));
    p->clicks_lake = std::move(writer);
  }
  fold_options.clicks_lake = p->clicks_lake;
  PROMOREC_ASSIGN_OR_RETURN(p->decisions_lake, pipeline::OpenDecisionsLake(
                                                   &env, &clock, config.data_dir, p->impressions));
  PROMOREC_ASSIGN_OR_RETURN(p->examples_lake,
                            pipeline::OpenExamplesLake(&env, &clock, config.data_dir, p->examples));
  ServePipeline* self = p.get();
  PROMOREC_ASSIGN_OR_RETURN(
      p->fold,
      pipeline::ProfileFold::Open(
          env, clock, config.data_dir, std::move(clicks), std::move(fold_options),
          [self, &models, &promotions, &stage_options](
              const profile::ProfileStore& profiles) -> base::Result<pipeline::DecisionStage*> {
            self->decider =
                std::make_unique<decide::Decider>(models, std::move(promotions), &profiles);
            PROMOREC_ASSIGN_OR_RETURN(
                self->stage, pipeline::DecisionStage::Create(
                                 self->impressions, self->examples, self->decider.get(),
                                 self->hub.get(), std::move(stage_options), self->rewards));
            return self->stage.get();
          }));
  // The promotion ids the decisions' candidate indices refer to, written
  // once per catalogue (docs/formats/decision-record.md).
  {
    const std::string path =
        config.data_dir + "/catalog/promotions-" + p->stage->catalogue() + ".json";
    PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
    if (!exists) {
      std::string ids = "[";
      for (const event::Promotion& promotion : p->decider->promotions()) {
        if (ids.size() > 1) ids += ",\n";
        base::AppendJsonString(promotion.id, &ids);
      }
      ids += "]\n";
      PROMOREC_RETURN_IF_ERROR(env.CreateDirs(config.data_dir + "/catalog"));
      PROMOREC_RETURN_IF_ERROR(base::WriteFileAtomically(env, path, ids));
    }
  }
  notify::DeliveryOptions delivery;
  delivery.dead_letter_dir = config.data_dir + "/deadletter";
  std::vector<notify::DeliveryQueue*> queues;
  if (!config.webhook_urls.empty()) {
    notify::WebhookOptions webhook;
    webhook.urls = config.webhook_urls;
    webhook.secret = config.webhook_secret;
    webhook.delivery = delivery;
    PROMOREC_ASSIGN_OR_RETURN(p->webhooks, notify::NewWebhookDelivery(webhook, clock, env));
    queues.push_back(p->webhooks.get());
  }
  if (!config.smtp_url.empty()) {
    notify::EmailOptions email;
    email.url = config.smtp_url;
    email.from = config.smtp_from;
    email.username = config.smtp_username;
    email.password = config.smtp_password;
    email.require_starttls = config.smtp_starttls;
    email.delivery = delivery;
    PROMOREC_ASSIGN_OR_RETURN(p->email, notify::NewEmailDelivery(email, clock, env));
    queues.push_back(p->email.get());
  }
  if (!queues.empty()) {
    PROMOREC_ASSIGN_OR_RETURN(p->notifier,
                              pipeline::NotifyConsumer::Open(p->impressions, std::move(queues)));
  }
  return p;
}

void ServePipeline::Start() {
  if (webhooks) webhooks->Start();
  if (email) email->Start();
  if (notifier) notifier->Start();
  decisions_lake->Start();
  examples_lake->Start();
  fold->Start();
}

base::Result<std::uint64_t> ServePipeline::StopAndSave() {
  fold->Stop();
  auto saved = fold->Save();
  if (auto s = decisions_lake->Stop(); !s) return std::unexpected(std::move(s).error());
  if (auto s = examples_lake->Stop(); !s) return std::unexpected(std::move(s).error());
  if (notifier) {
    notifier->Stop();
    // The checkpoint moves only past what every channel finished; what the
    // queues still hold is dead-lettered by their Stop and sent again
    // after the restart (same idempotency key).
    auto idle = notifier->SaveIfIdle();
    if (webhooks) (void)webhooks->Stop();
    if (email) (void)email->Stop();
    if (!idle) return std::unexpected(std::move(idle).error());
  }
  return saved;
}

void ServePipeline::ExportMetrics(metrics::Registry& registry) const {
  const pipeline::DecisionCounters d = stage->counters();
  const auto decisions = [&registry](const char* outcome) -> metrics::Counter& {
    return registry.GetCounter("promorec_decisions_total",
                               "Qualifying events and decision requests, by outcome.",
                               {{"outcome", outcome}});
  };
  decisions("logged").Store(d.decided);
  decisions("user_capped").Store(d.user_capped);
  decisions("no_candidate").Store(d.no_candidate);
  decisions("replayed").Store(d.replayed);
  const auto labelled = [&registry](const char* label) -> metrics::Counter& {
    return registry.GetCounter("promorec_examples_total",
                               "Decisions labelled by attribution, by label.", {{"label", label}});
  };
  labelled("positive").Store(d.attribution.positives);
  labelled("negative").Store(d.attribution.negatives);
  labelled("correction").Store(d.attribution.corrections);
  registry
      .GetCounter("promorec_attribution_closed_early_total",
                  "Decisions labelled negative before their window ended, to bound memory.")
      .Store(d.attribution.closed_early);
  registry.GetGauge("promorec_attribution_pending", "Decisions waiting for their outcome.")
      .Set(static_cast<double>(d.attribution.pending));
  registry
      .GetGauge("promorec_attribution_bytes",
                "Memory the decisions waiting for their outcome hold (estimated).")
      .Set(static_cast<double>(d.attribution.bytes));
  const auto reward_count = [&registry](const char* result) -> metrics::Counter& {
    return registry.GetCounter("promorec_rewards_total",
                               "Rewards read from the rewards stream, by what came of them.",
                               {{"result", result}});
  };
  reward_count("applied").Store(d.rewards_applied);
  reward_count("unmatched").Store(d.rewards_unmatched);
  reward_count("invalid").Store(d.rewards_invalid);
  registry
      .GetCounter("promorec_decision_log_failures_total",
                  "Appends of decisions to the impressions stream that failed (retried).")
      .Store(d.failed);
  registry
      .GetCounter("promorec_events_duplicate_total",
                  "Events skipped because their id was seen within the dedup window.")
      .Store(fold->duplicates());
  if (const pipeline::DedupFilter* dedup = fold->dedup(); dedup != nullptr) {
    const pipeline::DedupStats s = dedup->Stats();
    registry.GetGauge("promorec_dedup_ids", "Event ids the dedup filter holds.")
        .Set(static_cast<double>(s.ids_held));
    registry.GetGauge("promorec_dedup_bytes", "Memory the dedup filter holds.")
        .Set(static_cast<double>(s.bytes_held));
    registry
        .GetCounter("promorec_dedup_evicted_early_total",
                    "Event ids dropped before their window ended, to stay within the bound.")
        .Store(s.evicted_early);
  }
  registry
      .GetCounter("promorec_profile_snapshots_total", "Profile snapshots written while serving.")
      .Store(fold->snapshots());
  registry
      .GetCounter("promorec_profile_snapshot_failures_total",
                  "Profile snapshots that failed (retried at the next interval).")
      .Store(fold->failed_snapshots());
  registry
      .GetCounter("promorec_profiles_expired_total",
                  "Profiles dropped for having no event for profile_ttl_days.")
      .Store(fold->expired());
  registry
      .GetCounter("promorec_caps_pruned_total",
                  "Shoppers dropped from the frequency caps once their decisions left every "
                  "cap window.")
      .Store(fold->caps_pruned());
  registry.GetGauge("promorec_profiles", "Shoppers with a profile.")
      .Set(static_cast<double>(fold->store().size()));
  const auto lake_table = [&registry](const lake::TableWriter& writer) {
    const lake::WriterStats s = writer.stats();
    const metrics::Labels table = {{"table", writer.schema().name}};
    registry.GetCounter("promorec_lake_records_total", "Records committed to the lake.", table)
        .Store(s.records_written);
    registry.GetCounter("promorec_lake_files_total", "Data files committed to the lake.", table)
        .Store(s.files_written);
    registry
        .GetCounter("promorec_lake_bytes_total", "Compressed bytes committed to the lake.", table)
        .Store(s.bytes_written);
    registry
        .GetCounter("promorec_lake_flush_failures_total", "Lake flushes that failed (retried).",
                    table)
        .Store(s.flush_failures);
    registry.GetGauge("promorec_lake_buffered_records", "Records waiting for a flush.", table)
        .Set(static_cast<double>(s.buffered_records));
  };
  lake_table(*clicks_lake);
  lake_table(decisions_lake->writer());
  lake_table(examples_lake->writer());
  const notify::LiveHubCounters live = hub->counters();
  registry.GetCounter("promorec_live_published_total", "Notifications published live.")
      .Store(live.published);
  registry.GetCounter("promorec_live_delivered_total", "Live frames taken by a connection.")
      .Store(live.delivered);
  registry
      .GetCounter("promorec_live_dropped_total",
                  "Live frames a connection could not take (its client resumes).")
      .Store(live.dropped);
  registry
      .GetCounter("promorec_live_slow_disconnects_total",
                  "Live connections closed for falling behind.")
      .Store(live.disconnected_slow);
  registry.GetGauge("promorec_live_subscribers", "Open live connections.")
      .Set(static_cast<double>(live.subscribers));
}

}  // namespace promorec::app
