#include "promorec/pipeline/notify_consumer.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "promorec/pipeline/decision_record.h"

namespace promorec::pipeline {
namespace {

constexpr auto kSaveInterval = std::chrono::seconds(1);

}  // namespace

base::Result<std::unique_ptr<NotifyConsumer>> NotifyConsumer::Open(
    std::shared_ptr<eventlog::Stream> impressions, std::vector<notify::DeliveryQueue*> queues) {
  std::unique_ptr<NotifyConsumer> c(new NotifyConsumer());
  c->queues_ = std::move(queues);
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, impressions->DescribeShards());
  std::vector<std::uint64_t> next(shards.size());
  for (std::uint32_t shard = 0; shard < shards.size(); ++shard) {
    PROMOREC_ASSIGN_OR_RETURN(const auto saved,
                              impressions->LoadCheckpoint(kNotifyConsumer, shard));
    if (saved) {
      next[shard] = *saved + 1;
    } else {
      PROMOREC_ASSIGN_OR_RETURN(next[shard],
                                impressions->Resolve(shard, {eventlog::IteratorType::kLatest}));
      // Remember the starting point at once: decisions logged from here on
      // are delivered even if the process dies before its first save.
      PROMOREC_RETURN_IF_ERROR(impressions->SaveCheckpoint(kNotifyConsumer, shard,
                                                           next[shard] > 0 ? next[shard] - 1 : 0));
    }
  }
  c->saved_ = next;
  NotifyConsumer* self = c.get();
  PROMOREC_ASSIGN_OR_RETURN(
      c->consumer_, StreamConsumer::Create(
                        std::string(kNotifyConsumer), std::move(impressions), std::move(next),
                        [self](std::uint32_t shard, const eventlog::ReadBatch& batch) {
                          self->Apply(shard, batch);
                        },
                        [self] {
                          // At most once a second while running: a crash
                          // sends again what followed (same idempotency key).
                          const auto now = std::chrono::steady_clock::now();
                          if (now - self->last_save_ < kSaveInterval) return;
                          self->last_save_ = now;
                          if (auto saved = self->SaveIfIdle(); !saved) {
                            spdlog::warn("notify: cannot save the checkpoint: {}",
                                         saved.error().ToString());
                          }
                        }));
  return c;
}

void NotifyConsumer::Apply(std::uint32_t shard, const eventlog::ReadBatch& batch) {
  for (const eventlog::RecordView& record : batch.records) {
    auto decision = ParseDecisionJson(record.data, CandidateParsing::kSkipCandidates);
    if (!decision) {
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const notify::Notification n = NotificationOf(*decision, shard, record.sequence);
    for (notify::DeliveryQueue* q : queues_) q->Enqueue(n);
    sent_.fetch_add(1, std::memory_order_relaxed);
  }
}

base::Result<bool> NotifyConsumer::SaveIfIdle() {
  // Positions first: a queue seen idle after them has finished everything
  // read before them.
  const std::vector<std::uint64_t> positions = consumer_->Positions();
  for (const notify::DeliveryQueue* q : queues_) {
    if (q->stats().depth != 0) return false;
  }
  eventlog::Stream& stream = consumer_->stream();
  if (positions == saved_) return true;
  // The ad log is synced on an interval: a checkpoint past its durable end
  // could, after a power loss, skip decisions logged again under the same
  // sequence numbers.
  PROMOREC_RETURN_IF_ERROR(stream.Sync());
  for (std::uint32_t shard = 0; shard < positions.size(); ++shard) {
    if (positions[shard] == saved_[shard] || positions[shard] == 0) continue;
    PROMOREC_RETURN_IF_ERROR(stream.SaveCheckpoint(kNotifyConsumer, shard, positions[shard] - 1));
    saved_[shard] = positions[shard];
  }
  return true;
}

}  // namespace promorec::pipeline
