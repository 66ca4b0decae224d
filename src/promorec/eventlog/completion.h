// A countdown that an appender waits on while the shards it wrote to commit
// its records; the first error wins. Thread-safety: Done from any thread,
// Wait from the owner.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>

#include "promorec/base/status.h"

namespace promorec::eventlog {

class Completion {
 public:
  explicit Completion(int pending) : pending_(pending) {}

  void Done(const base::Status& status) {
    std::lock_guard lock(mu_);
    if (!status && !error_) error_ = status.error();
    if (--pending_ == 0) cv_.notify_all();
  }

  base::Status Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return pending_ == 0; });
    if (error_) return std::unexpected(*error_);
    return {};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_;
  std::optional<base::Error> error_;
};

}  // namespace promorec::eventlog
