#include "promorec/ingest/event_writer.h"

#include <chrono>

namespace promorec::ingest {

base::Result<std::shared_ptr<eventlog::Stream>> OpenOrCreateStream(
    eventlog::StreamStore& store, const std::string& name, std::uint32_t shard_count,
    eventlog::Durability durability) {
  auto opened = store.OpenStream(name);
  if (opened || opened.error().code() != base::Code::kNotFound) return opened;
  eventlog::StreamOptions options;
  options.shard_count = shard_count;
  options.durability = durability;
  auto created = store.CreateStream(name, options);
  // Another process may have created it in between.
  if (!created && created.error().code() == base::Code::kAlreadyExists) {
    return store.OpenStream(name);
  }
  return created;
}

EventWriter::EventWriter(std::shared_ptr<eventlog::Stream> stream, metrics::Registry& registry)
    : stream_(std::move(stream)),
      registry_(registry),
      append_seconds_(
          registry.GetHistogram("promorec_log_append_seconds",
                                "Time to make one request's events durable in the event log.", {},
                                metrics::LatencyBounds())),
      accepted_(registry.GetCounter("promorec_events_accepted_total", "Events stored.")),
      shard_count_(stream_->options().shard_count) {
  last_acknowledged_ = std::make_unique<std::atomic<std::uint64_t>[]>(shard_count_);
}

base::Status EventWriter::Append(std::span<const event::ClickEvent> events,
                                 std::span<eventlog::PutResult> results) {
  if (events.empty()) return {};
  thread_local RecordBatch batch;
  batch.Clear();
  for (const event::ClickEvent& e : events) batch.Add(e);
  return Append(batch, results);
}

base::Status EventWriter::Append(RecordBatch& batch, std::span<eventlog::PutResult> results) {
  if (batch.empty()) return {};
  const auto started = std::chrono::steady_clock::now();
  thread_local std::vector<eventlog::PutResult> own_results;
  if (results.empty()) {
    own_results.resize(batch.size());
    results = own_results;
  }
  const base::Status status = stream_->AppendInto(batch.records(), results);
  batch.Clear();
  if (!status) {
    return std::unexpected(status.error().WithContext("appending to stream " + stream_->name()));
  }
  Acknowledged(results);
  append_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return {};
}

void EventWriter::Acknowledged(std::span<const eventlog::PutResult> results) {
  for (const eventlog::PutResult& r : results) {
    if (r.shard >= shard_count_) continue;
    std::atomic<std::uint64_t>& last = last_acknowledged_[r.shard];
    std::uint64_t seen = last.load(std::memory_order_relaxed);
    while (seen < r.sequence &&
           !last.compare_exchange_weak(seen, r.sequence, std::memory_order_release,
                                       std::memory_order_relaxed)) {
    }
  }
}

std::vector<std::uint64_t> EventWriter::LastAcknowledged() const {
  std::vector<std::uint64_t> out;
  LastAcknowledged(&out);
  return out;
}

void EventWriter::LastAcknowledged(std::vector<std::uint64_t>* out) const {
  out->resize(shard_count_);
  for (std::uint32_t i = 0; i < shard_count_; ++i) {
    (*out)[i] = last_acknowledged_[i].load(std::memory_order_acquire);
  }
}

void EventWriter::CountDecoded(const DecodedEvents& decoded) {
  accepted_.Add(decoded.events().size());
  for (const auto& [index, rejection] : decoded.rejected()) {
    RejectedCounter(rejection.error.reason).Add();
  }
}

metrics::Counter& EventWriter::RejectedCounter(event::Reason reason) {
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

base::Status BufferedWriter::Add(const event::ClickEvent& event) {
  if (error_) return std::unexpected(*error_);
  batch_.Add(event);
  if (batch_.size() >= batch_records_) return Flush();
  return {};
}

base::Status BufferedWriter::Flush() {
  if (error_) return std::unexpected(*error_);
  const std::size_t count = batch_.size();
  if (auto appended = writer_.Append(batch_); !appended) {
    error_ = appended.error();
    return std::unexpected(*error_);
  }
  stored_ += count;
  return {};
}

}  // namespace promorec::ingest
