// Delivers each decision of the ad log (stream `impressions`) to the
// outbound channels: webhooks and email (notify/). A consumer of the
// stream with its own checkpoint `notify`, so delivery survives a crash:
// at least once, with the decision id as the idempotency key (the
// webhook's Idempotency-Key, the email's Message-ID), so a receiver that
// keeps ids sees each decision once.
//
// The checkpoint moves only when every channel has finished what it was
// given (delivered, or dead-lettered after its last retry): a crash
// re-sends what was in flight, never loses it. A slow or dead receiver
// never holds up the decisions: the channels' queues are bounded and
// count what they drop, and this consumer only reads the log.
//
// Without a checkpoint (the first start with channels configured) it
// starts at the end of the log: decisions made before are not sent.
//
// Thread-safety: Start/Stop/Save from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/eventlog/stream.h"
#include "promorec/notify/delivery_queue.h"
#include "promorec/pipeline/stream_consumer.h"

namespace promorec::pipeline {

inline constexpr std::string_view kNotifyConsumer = "notify";

class NotifyConsumer {
 public:
  // `queues` must outlive the consumer and be started.
  [[nodiscard]] static base::Result<std::unique_ptr<NotifyConsumer>> Open(
      std::shared_ptr<eventlog::Stream> impressions, std::vector<notify::DeliveryQueue*> queues);

  void Start() { consumer_->Start(); }
  void Stop() { consumer_->Stop(); }
  // Saves the checkpoint when every queue is idle; true when it did.
  [[nodiscard]] base::Result<bool> SaveIfIdle();

  std::uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  std::uint64_t unreadable() const { return unreadable_.load(std::memory_order_relaxed); }

 private:
  NotifyConsumer() = default;
  void Apply(std::uint32_t shard, const eventlog::ReadBatch& batch);

  std::vector<notify::DeliveryQueue*> queues_;
  std::unique_ptr<StreamConsumer> consumer_;
  std::vector<std::uint64_t> saved_;
  std::chrono::steady_clock::time_point last_save_{};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> unreadable_{0};
};

}  // namespace promorec::pipeline
