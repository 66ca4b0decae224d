#include "promorec/event/line_reader.h"

#include <algorithm>
#include <cstring>
#include <span>

namespace promorec::event {
namespace {

constexpr std::size_t kChunkBytes = 1 << 20;

}  // namespace

LineReader::LineReader(std::unique_ptr<base::SequentialFile> file, std::size_t max_line_bytes)
    : file_(std::move(file)),
      max_line_bytes_(max_line_bytes),
      buffer_(std::max(kChunkBytes, 2 * max_line_bytes + 2)) {}

base::Result<std::unique_ptr<LineReader>> LineReader::Open(base::Env& env, const std::string& path,
                                                           std::size_t max_line_bytes) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewSequentialFile(path));
  return std::make_unique<LineReader>(std::move(file), max_line_bytes);
}

base::Status LineReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (!eof_ && end_ < buffer_.size()) {
    PROMOREC_ASSIGN_OR_RETURN(
        const std::size_t n,
        file_->Read(std::span<char>(buffer_.data() + end_, buffer_.size() - end_)));
    if (n == 0) eof_ = true;
    end_ += n;
    // One read per call keeps latency low on pipes; a full buffer is not needed.
    if (n > 0) break;
  }
  return {};
}

base::Result<bool> LineReader::Next(Line* line) {
  std::size_t scanned = 0;  // bytes of the current line known to hold no '\n'
  while (true) {
    const char* start = buffer_.data() + begin_;
    const std::size_t available = end_ - begin_;
    const void* nl =
        scanned < available ? std::memchr(start + scanned, '\n', available - scanned) : nullptr;
    if (nl != nullptr) {
      const auto length = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
      *line = Line{std::string_view(start, length), ++line_number_, consumed_, length, true, false};
      begin_ += length + 1;
      consumed_ += length + 1;
      return true;
    }
    scanned = available;
    if (available > max_line_bytes_) break;  // over-long: handled below
    if (eof_) {
      if (available == 0) return false;
      *line = Line{
          std::string_view(start, available), ++line_number_, consumed_, available, false, false};
      begin_ = end_;
      consumed_ += available;
      return true;
    }
    PROMOREC_RETURN_IF_ERROR(Fill());
  }

  // The line is longer than the limit. Keep its head for the error message
  // and skip the rest without holding it in memory.
  const std::uint64_t offset = consumed_;
  const std::uint64_t number = ++line_number_;
  const std::size_t head = max_line_bytes_;
  std::memmove(buffer_.data(), buffer_.data() + begin_, head);
  // Bytes [0, head) of the buffer now hold the head; the line break is
  // searched for in what follows it.
  const std::size_t keep_end = head;
  std::size_t data_begin = begin_ + head;
  std::size_t data_end = end_;
  std::uint64_t length = head;
  bool terminated = false;
  while (true) {
    const char* from = buffer_.data() + data_begin;
    const void* nl = std::memchr(from, '\n', data_end - data_begin);
    if (nl != nullptr) {
      const auto n = static_cast<std::size_t>(static_cast<const char*>(nl) - from);
      length += n;
      data_begin += n + 1;
      terminated = true;
      break;
    }
    length += data_end - data_begin;
    if (eof_) {
      data_begin = data_end;
      break;
    }
    // Refill the part of the buffer after the kept head.
    PROMOREC_ASSIGN_OR_RETURN(
        const std::size_t n,
        file_->Read(std::span<char>(buffer_.data() + keep_end, buffer_.size() - keep_end)));
    if (n == 0) eof_ = true;
    data_begin = keep_end;
    data_end = keep_end + n;
  }
  // Move the unread rest after the head so that the next call sees it.
  const std::size_t rest = data_end - data_begin;
  std::memmove(buffer_.data() + keep_end, buffer_.data() + data_begin, rest);
  *line = Line{std::string_view(buffer_.data(), head), number, offset, length, terminated, true};
  begin_ = keep_end;
  end_ = keep_end + rest;
  consumed_ = offset + length + (terminated ? 1 : 0);
  return true;
}

}  // namespace promorec::event
