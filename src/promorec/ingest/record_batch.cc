#include "promorec/ingest/record_batch.h"

#include "promorec/event/binary_record.h"
#include "promorec/event/validate.h"

namespace promorec::ingest {
namespace {

// Buffers grown past this by an unusually large batch are given back.
constexpr std::size_t kMaxKeptBytes = 1 << 20;

}  // namespace

void RecordBatch::Clear() {
  if (data_.capacity() > kMaxKeptBytes) {
    *this = RecordBatch();
    return;
  }
  data_.clear();
  ends_.clear();
  keys_.clear();
  keys_data_.clear();
  records_.clear();
}

void RecordBatch::Add(const event::ClickEvent& event) {
  if (event.event_id.empty()) {
    with_id_ = event;
    event::AssignContentEventId(&with_id_, &scratch_);
    event::AppendBinaryRecord(with_id_, &data_);
  } else {
    event::AppendBinaryRecord(event, &data_);
  }
  ends_.push_back(data_.size());
  keys_.emplace_back(keys_data_.size(), event.user_id.size());
  keys_data_.append(event.user_id);
}

std::span<const eventlog::PutRecord> RecordBatch::records() {
  records_.clear();
  const std::string_view data = data_;
  const std::string_view keys = keys_data_;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    records_.push_back(eventlog::PutRecord{keys.substr(keys_[i].first, keys_[i].second),
                                           data.substr(begin, ends_[i] - begin), std::nullopt});
    begin = ends_[i];
  }
  return records_;
}

}  // namespace promorec::ingest
