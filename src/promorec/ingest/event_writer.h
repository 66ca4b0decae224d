// The one way into the `clicks` stream: every entry point (POST /v1/events,
// click events in Kinesis records, `promorec import`) hands its decoded
// events to an EventWriter, which gives each its id (record_batch.h),
// appends them as binary records keyed by user id and returns once they are
// durable. It counts what arrives in /metrics and remembers, per shard, the
// last sequence it had acknowledged, so that a reader of the stream (the
// profile fold) can be asked to catch up with everything acknowledged so
// far. What happens to the events next is up to the stream's consumers.
//
// Thread-safety: Append, CountDecoded and LastAcknowledged may be called
// from many threads at once; Append reuses per-thread buffers, so it
// allocates nothing per request in the steady state. A BufferedWriter is
// used by one thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"
#include "promorec/eventlog/stream.h"
#include "promorec/ingest/events_body.h"
#include "promorec/ingest/record_batch.h"
#include "promorec/metrics/registry.h"

namespace promorec::ingest {

// The stream events go to, and its shard count when promorec creates it.
inline constexpr std::string_view kClickStream = "clicks";
inline constexpr std::uint32_t kClickStreamShards = 4;

// Opens the stream `name`, creating it with `shard_count` shards, the
// given durability and otherwise default options when it does not exist
// (an existing stream keeps the options it was created with).
[[nodiscard]] base::Result<std::shared_ptr<eventlog::Stream>> OpenOrCreateStream(
    eventlog::StreamStore& store, const std::string& name, std::uint32_t shard_count,
    eventlog::Durability durability = eventlog::Durability::kFsync);

class EventWriter {
 public:
  // `registry` must outlive the writer.
  EventWriter(std::shared_ptr<eventlog::Stream> stream, metrics::Registry& registry);

  // Appends `events`; returns once they are durable. When `results` is not
  // empty it has one entry per event and receives its shard and sequence
  // number. On error none of them may be taken as stored.
  [[nodiscard]] base::Status Append(std::span<const event::ClickEvent> events,
                                    std::span<eventlog::PutResult> results = {});
  // The same for events already gathered into a batch (which is cleared).
  [[nodiscard]] base::Status Append(RecordBatch& batch,
                                    std::span<eventlog::PutResult> results = {});

  // Counts what one request held: accepted events, and rejected ones by
  // reason.
  void CountDecoded(const DecodedEvents& decoded);

  // The last sequence number this writer has acknowledged in each shard (0
  // where none), in shard order; the second form reuses `*out`'s storage.
  std::vector<std::uint64_t> LastAcknowledged() const;
  void LastAcknowledged(std::vector<std::uint64_t>* out) const;

  eventlog::Stream& stream() const { return *stream_; }

 private:
  metrics::Counter& RejectedCounter(event::Reason reason);
  void Acknowledged(std::span<const eventlog::PutResult> results);

  std::shared_ptr<eventlog::Stream> stream_;
  metrics::Registry& registry_;
  metrics::Histogram& append_seconds_;
  metrics::Counter& accepted_;
  // promorec_events_rejected_total by reason, created on first use.
  std::array<std::atomic<metrics::Counter*>, event::kReasonCount> rejected_{};
  std::unique_ptr<std::atomic<std::uint64_t>[]> last_acknowledged_;
  std::uint32_t shard_count_;
};

// Appends events in batches of a fixed size through an EventWriter (for a
// bulk load such as `promorec import`). After the first failure every call
// returns that error and nothing more is appended.
class BufferedWriter {
 public:
  BufferedWriter(EventWriter& writer, std::size_t batch_records)
      : writer_(writer), batch_records_(batch_records) {}

  // Queues the event; appends a full batch.
  [[nodiscard]] base::Status Add(const event::ClickEvent& event);
  // Appends what is queued; returns when it is durable.
  [[nodiscard]] base::Status Flush();

  std::uint64_t stored() const { return stored_; }

 private:
  EventWriter& writer_;
  std::size_t batch_records_;
  RecordBatch batch_;
  std::uint64_t stored_ = 0;
  std::optional<base::Error> error_;
};

}  // namespace promorec::ingest
