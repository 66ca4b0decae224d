// The way into the click stream for `promorec serve`, shared by POST
// /v1/events and the click events found in Kinesis records: events are
// appended as binary records (docs/formats/event-record.md) keyed by user
// id, so that one user's events stay in one shard and in order, and what
// arrives is counted in /metrics.
//
// Thread-safety: every method may be called from many threads at once.
// Appending reuses per-thread buffers and counting takes no lock once a
// counter exists, so the ingest path allocates nothing per request in the
// steady state.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <string_view>

#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"
#include "promorec/eventlog/stream.h"
#include "promorec/http/ingest_api.h"
#include "promorec/http/kinesis_api.h"
#include "promorec/metrics/registry.h"

namespace promorec::app {

class ClickIngest {
 public:
  // `registry` must outlive the ClickIngest.
  ClickIngest(std::shared_ptr<eventlog::Stream> stream, metrics::Registry& registry);

  // Appends `events`; returns once they are durable. When `results` is not
  // empty it has one entry per event and receives its shard and sequence
  // number.
  base::Status Append(std::span<const event::ClickEvent> events,
                      std::span<eventlog::PutResult> results = {});

  // Counts what one POST /v1/events request held: accepted events, and
  // rejected ones by reason.
  void CountRequest(const http::DecodedEvents& decoded);
  // Counts one record put through the Kinesis API, by stream and kind.
  void CountKinesisRecord(std::string_view stream, http::KinesisRecordKind kind);

 private:
  metrics::Counter& RejectedCounter(event::Reason reason);

  std::shared_ptr<eventlog::Stream> stream_;
  metrics::Registry& registry_;
  metrics::Histogram& append_seconds_;
  metrics::Counter& accepted_;
  // promorec_events_rejected_total by reason, created on first use.
  std::array<std::atomic<metrics::Counter*>, event::kReasonCount> rejected_{};
};

}  // namespace promorec::app
