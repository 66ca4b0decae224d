#include <charconv>

#include "promorec/http/server.h"

namespace promorec::http {
namespace {

constexpr std::size_t kChunkSizeDigits = 16;  // hex digits of a 64-bit size

// "<hex size>\r\n<data>\r\n": one HTTP/1.1 chunk.
void AppendChunk(std::string_view data, std::string* out) {
  char size[kChunkSizeDigits];
  const auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
  out->append(size, end).append("\r\n").append(data).append("\r\n");
}

std::size_t ChunkBytes(std::string_view data) {
  std::size_t digits = 1;
  for (std::size_t n = data.size(); n >= 16; n /= 16) ++digits;
  return digits + 2 + data.size() + 2;
}

}  // namespace

ResponseStream::ResponseStream(Options options)
    : options_(std::move(options)), last_write_(std::chrono::steady_clock::now()) {}

bool ResponseStream::Write(std::string_view data) {
  const std::lock_guard lock(mutex_);
  if (!WriteLocked(data)) return false;
  WakeLocked();
  return true;
}

bool ResponseStream::WriteDeferred(std::string_view data) {
  const std::lock_guard lock(mutex_);
  return WriteLocked(data);
}

void ResponseStream::Wake() {
  const std::lock_guard lock(mutex_);
  if (!buffer_.empty()) WakeLocked();
}

bool ResponseStream::WriteLocked(std::string_view data) {
  if (closing_ || ended_) return false;
  if (data.empty()) return true;  // an empty chunk would end the response
  if (buffer_.size() + ChunkBytes(data) > options_.max_buffered_bytes) return false;
  AppendChunk(data, &buffer_);
  last_write_ = std::chrono::steady_clock::now();
  return true;
}

void ResponseStream::WakeLocked() {
  if (wake_ && !wake_pending_) {
    wake_pending_ = true;
    wake_();
  }
}

void ResponseStream::Close() {
  const std::lock_guard lock(mutex_);
  if (closing_ || ended_) return;
  closing_ = true;
  WakeLocked();
}

bool ResponseStream::closed() const {
  const std::lock_guard lock(mutex_);
  return closing_ || ended_;
}

void ResponseStream::OnClose(std::function<void()> callback) {
  {
    const std::lock_guard lock(mutex_);
    if (!ended_) {
      on_close_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();
}

void ResponseStream::Attach(std::function<void()> wake) {
  const std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
  // The loop sends what is buffered right after attaching.
  wake_pending_ = true;
}

bool ResponseStream::TakeInto(std::string* out) {
  const std::lock_guard lock(mutex_);
  out->append(buffer_);
  buffer_.clear();
  wake_pending_ = false;
  return closing_;
}

bool ResponseStream::Heartbeat(TimePoint now) {
  const std::lock_guard lock(mutex_);
  if (closing_ || ended_ || options_.heartbeat.empty() ||
      options_.heartbeat_interval <= std::chrono::milliseconds::zero() ||
      now - last_write_ < options_.heartbeat_interval ||
      buffer_.size() + ChunkBytes(options_.heartbeat) > options_.max_buffered_bytes) {
    return false;
  }
  AppendChunk(options_.heartbeat, &buffer_);
  last_write_ = now;
  return true;
}

void ResponseStream::End() {
  std::function<void()> callback;
  {
    const std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    wake_ = nullptr;
    buffer_.clear();
    buffer_.shrink_to_fit();
    callback = std::move(on_close_);
    on_close_ = nullptr;
  }
  if (callback) callback();
}

}  // namespace promorec::http
