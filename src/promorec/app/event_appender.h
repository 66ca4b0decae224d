// Appends click events to a stream in batches, each event as a binary
// record (docs/formats/event-record.md) keyed by its user id, so that one
// user's events stay in one shard and in order.
// Thread-safety: one appender per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"

namespace promorec::app {

// The stream click events go to, its shard count when promorec creates
// it, and how many records one append carries.
inline constexpr std::string_view kClickStream = "clicks";
inline constexpr std::uint32_t kClickStreamShards = 4;
inline constexpr std::size_t kAppendBatchRecords = 2000;

class EventAppender {
 public:
  EventAppender(std::shared_ptr<eventlog::Stream> stream, std::size_t batch_records);

  // Queues the event; appends a full batch. After the first failure every
  // call returns that error and nothing more is appended.
  base::Status Add(const event::ClickEvent& event);
  // Appends what is queued; returns when it is durable.
  base::Status Flush();

  std::uint64_t stored() const { return stored_; }

 private:
  std::shared_ptr<eventlog::Stream> stream_;
  std::size_t batch_records_;
  std::string buffer_;
  std::vector<std::size_t> ends_;                          // end offset of each record in buffer_
  std::vector<std::pair<std::size_t, std::size_t>> keys_;  // user id offset, size in keys_buffer_
  std::string keys_buffer_;
  std::vector<eventlog::PutRecord> records_;
  std::uint64_t stored_ = 0;
  std::optional<base::Error> error_;
};

// Opens the stream `name` in DATA_DIR/streams, creating it with
// `shard_count` shards (and default options) when it does not exist.
base::Result<std::shared_ptr<eventlog::Stream>> OpenOrCreateStream(eventlog::StreamStore& store,
                                                                   const std::string& name,
                                                                   std::uint32_t shard_count);

}  // namespace promorec::app
