// One batch of lines on its way to the server: filled by the Tailer (it is
// a LineSink), full at a record count or a byte size, due at an age, and
// emptied once delivered. A batch keeps its lines in one buffer, so that
// filling and sending it allocates nothing once its buffers have grown.
//
// Thread-safety: none; one agent thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/agent/tailer.h"

namespace promorec::agent {

struct BatchLimits {
  std::size_t max_records = 500;
  std::size_t max_bytes = 1 << 20;  // line bytes, without line breaks
  std::chrono::milliseconds max_age{1000};
};

class Batch final : public LineSink {
 public:
  explicit Batch(BatchLimits limits) : limits_(limits) {}

  // Refuses a line when the batch holds max_records lines, or when it is
  // not empty and the line would take it past max_bytes (a single line
  // larger than max_bytes makes a batch of its own). `now_ns` (monotonic)
  // starts the batch's age with its first line.
  bool Add(std::string_view line, std::int64_t now_ns);
  bool Offer(std::string_view line) override { return Add(line, now_ns_); }
  // The time Offer stamps a first line with; set before each Tailer::Read.
  void set_now(std::int64_t now_ns) { now_ns_ = now_ns; }

  // Whether a line was refused since the last Clear, or a limit is reached.
  bool Full() const;
  // Whether the batch should be sent at `now_ns`: full, or not empty and at
  // least max_age old.
  bool Due(std::int64_t now_ns) const;
  // Nanoseconds until the batch becomes due by age; 0 when due, and -1 when
  // it is empty (no deadline).
  std::int64_t NanosUntilDue(std::int64_t now_ns) const;

  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::size_t bytes() const { return data_.size(); }
  std::string_view line(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  void Clear();

 private:
  BatchLimits limits_;
  std::string data_;
  std::vector<std::size_t> ends_;
  std::int64_t first_ns_ = 0;
  std::int64_t now_ns_ = 0;
  bool refused_ = false;
};

}  // namespace promorec::agent
