#include "promorec/app/click_ingest.h"

#include <chrono>
#include <string>
#include <vector>

#include "promorec/event/binary_record.h"

namespace promorec::app {
namespace {

// One thread's encoding buffers, kept from append to append.
struct AppendBuffers {
  std::string data;               // the records, back to back
  std::vector<std::size_t> ends;  // where each record ends in `data`
  std::vector<eventlog::PutRecord> records;
  std::vector<eventlog::PutResult> results;
};

// Buffers grown past this by an unusually large batch are given back.
constexpr std::size_t kMaxKeptBytes = 1 << 20;

}  // namespace

ClickIngest::ClickIngest(std::shared_ptr<eventlog::Stream> stream, metrics::Registry& registry)
    : stream_(std::move(stream)),
      registry_(registry),
      append_seconds_(
          registry.GetHistogram("promorec_log_append_seconds",
                                "Time to make one request's events durable in the event log.", {},
                                metrics::LatencyBounds())),
      accepted_(registry.GetCounter("promorec_events_accepted_total", "Events stored.")) {}

base::Status ClickIngest::Append(std::span<const event::ClickEvent> events,
                                 std::span<eventlog::PutResult> results) {
  if (events.empty()) return {};
  const auto started = std::chrono::steady_clock::now();
  thread_local AppendBuffers buffers;
  buffers.data.clear();
  buffers.ends.clear();
  for (const event::ClickEvent& e : events) {
    event::AppendBinaryRecord(e, &buffers.data);
    buffers.ends.push_back(buffers.data.size());
  }
  buffers.records.clear();
  const std::string_view data = buffers.data;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    // The keys are the events' own strings: the events outlive the append.
    buffers.records.push_back(eventlog::PutRecord{
        events[i].user_id, data.substr(begin, buffers.ends[i] - begin), std::nullopt});
    begin = buffers.ends[i];
  }
  if (results.empty()) {
    buffers.results.resize(events.size());
    results = buffers.results;
  }
  base::Status status = stream_->AppendInto(buffers.records, results);
  if (buffers.data.capacity() > kMaxKeptBytes) buffers = AppendBuffers();
  if (!status)
    return std::unexpected(status.error().WithContext("appending to stream " + stream_->name()));
  append_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return {};
}

void ClickIngest::CountRequest(const http::DecodedEvents& decoded) {
  accepted_.Add(decoded.events().size());
  for (const auto& [index, rejection] : decoded.rejected()) {
    RejectedCounter(rejection.error.reason).Add();
  }
}

metrics::Counter& ClickIngest::RejectedCounter(event::Reason reason) {
  std::atomic<metrics::Counter*>& slot = rejected_[static_cast<std::size_t>(reason)];
  metrics::Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Racing threads get the same counter from the registry.
    counter = &registry_.GetCounter("promorec_events_rejected_total", "Events rejected, by reason.",
                                    {{"reason", std::string(event::ReasonName(reason))}});
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

void ClickIngest::CountKinesisRecord(std::string_view stream, http::KinesisRecordKind kind) {
  const metrics::Labels labels = {{"stream", std::string(stream)}};
  switch (kind) {
    case http::KinesisRecordKind::kClick:
      registry_
          .GetCounter("promorec_kinesis_click_events_total",
                      "Records put through the Kinesis API whose data is a click event, "
                      "appended to the clicks stream.",
                      labels)
          .Add();
      break;
    case http::KinesisRecordKind::kOther:
      registry_
          .GetCounter("promorec_kinesis_other_records_total",
                      "Records put through the Kinesis API that are not click events, stored "
                      "as they came.",
                      labels)
          .Add();
      break;
    case http::KinesisRecordKind::kRejected:
      registry_
          .GetCounter("promorec_kinesis_rejected_records_total",
                      "Records put to the clicks stream through the Kinesis API that are not "
                      "click events, refused.",
                      labels)
          .Add();
      return;
  }
  registry_
      .GetCounter("promorec_kinesis_records_total", "Records stored through the Kinesis API.",
                  labels)
      .Add();
}

}  // namespace promorec::app
