#include "promorec/agent/batch.h"

#include <algorithm>

namespace promorec::agent {

bool Batch::Add(std::string_view line, std::int64_t now_ns) {
  if (ends_.size() >= limits_.max_records ||
      (!ends_.empty() && data_.size() + line.size() > limits_.max_bytes)) {
    refused_ = true;
    return false;
  }
  if (ends_.empty()) first_ns_ = now_ns;
  data_.append(line);
  ends_.push_back(data_.size());
  return true;
}

bool Batch::Full() const {
  return refused_ || ends_.size() >= limits_.max_records || data_.size() >= limits_.max_bytes;
}

bool Batch::Due(std::int64_t now_ns) const {
  return !ends_.empty() && (Full() || NanosUntilDue(now_ns) == 0);
}

std::int64_t Batch::NanosUntilDue(std::int64_t now_ns) const {
  if (ends_.empty()) return -1;
  const std::int64_t age_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(limits_.max_age).count();
  return std::max<std::int64_t>(0, first_ns_ + age_ns - now_ns);
}

void Batch::Clear() {
  data_.clear();
  ends_.clear();
  refused_ = false;
}

}  // namespace promorec::agent
