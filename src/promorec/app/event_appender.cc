#include "promorec/app/event_appender.h"

#include "promorec/event/binary_record.h"

namespace promorec::app {

EventAppender::EventAppender(std::shared_ptr<eventlog::Stream> stream, std::size_t batch_records)
    : stream_(std::move(stream)), batch_records_(batch_records) {}

base::Status EventAppender::Add(const event::ClickEvent& event) {
  if (error_) return std::unexpected(*error_);
  event::AppendBinaryRecord(event, &buffer_);
  ends_.push_back(buffer_.size());
  keys_.emplace_back(keys_buffer_.size(), event.user_id.size());
  keys_buffer_.append(event.user_id);
  if (ends_.size() >= batch_records_) return Flush();
  return {};
}

base::Status EventAppender::Flush() {
  if (error_) return std::unexpected(*error_);
  if (ends_.empty()) return {};
  records_.clear();
  std::size_t begin = 0;
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    const std::string_view data = std::string_view(buffer_).substr(begin, ends_[i] - begin);
    const std::string_view key =
        std::string_view(keys_buffer_).substr(keys_[i].first, keys_[i].second);
    records_.push_back(eventlog::PutRecord{key, data, std::nullopt});
    begin = ends_[i];
  }
  auto appended = stream_->Append(records_);
  if (!appended) {
    error_ = appended.error().WithContext("appending to stream " + stream_->name());
    return std::unexpected(*error_);
  }
  stored_ += ends_.size();
  buffer_.clear();
  ends_.clear();
  keys_.clear();
  keys_buffer_.clear();
  return {};
}

base::Result<std::shared_ptr<eventlog::Stream>> OpenOrCreateStream(eventlog::StreamStore& store,
                                                                   const std::string& name,
                                                                   std::uint32_t shard_count) {
  auto opened = store.OpenStream(name);
  if (opened || opened.error().code() != base::Code::kNotFound) return opened;
  eventlog::StreamOptions options;
  options.shard_count = shard_count;
  auto created = store.CreateStream(name, options);
  // Another process may have created it in between.
  if (!created && created.error().code() == base::Code::kAlreadyExists) {
    return store.OpenStream(name);
  }
  return created;
}

}  // namespace promorec::app
