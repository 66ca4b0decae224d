// Click events as the records of the `clicks` stream: each event encoded as
// a binary record (docs/formats/event-record.md) keyed by its user id, so
// that one user's events stay in one shard and in order. Every event gets
// its id here by the one rule of every entry point: its own event_id, else
// the content id of what was sent (event::AssignContentEventId; the codecs
// assign it while decoding, this catches events built any other way).
//
// Thread-safety: a RecordBatch is used by one thread at a time.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"

namespace promorec::ingest {

class RecordBatch {
 public:
  // Empties the batch, keeping its storage (unless a rare large batch grew
  // it past what is worth keeping).
  void Clear();
  void Add(const event::ClickEvent& event);

  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // The records, in the order added; valid until the next Add or Clear.
  std::span<const eventlog::PutRecord> records();

 private:
  std::string data_;                                       // the records, back to back
  std::vector<std::size_t> ends_;                          // where each record ends in data_
  std::vector<std::pair<std::size_t, std::size_t>> keys_;  // user id offset and size in keys_data_
  std::string keys_data_;
  std::vector<eventlog::PutRecord> records_;
  event::ClickEvent with_id_;  // an id-less event, copied to get its id
  std::string scratch_;
};

}  // namespace promorec::ingest
