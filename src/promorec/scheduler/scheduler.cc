#include "promorec/scheduler/scheduler.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "promorec/base/thread_name.h"

namespace promorec::scheduler {

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Add(std::string name, std::chrono::microseconds interval, Job job) {
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->interval_nanos = std::max<std::int64_t>(1, interval.count()) * 1000;
  entry->job = std::move(job);
  entry->next_nanos = clock_.MonotonicNanos() + entry->interval_nanos;
  entries_.push_back(std::move(entry));
}

std::size_t Scheduler::RunDue() {
  const std::lock_guard lock(run_mu_);
  std::size_t ran = 0;
  for (const auto& entry : entries_) {
    const std::int64_t now = clock_.MonotonicNanos();
    if (now < entry->next_nanos) continue;
    // The next run is an interval after this one started; runs missed while
    // the process was busy are not made up.
    entry->next_nanos = now + entry->interval_nanos;
    ++ran;
    entry->runs.fetch_add(1, std::memory_order_relaxed);
    try {
      if (auto done = entry->job(); !done) {
        entry->failures.fetch_add(1, std::memory_order_relaxed);
        spdlog::error("job {}: {}", entry->name, done.error().ToString());
      }
    } catch (const std::exception& e) {
      entry->failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("job {}: {}", entry->name, e.what());
    }
  }
  return ran;
}

void Scheduler::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    base::SetThreadName("scheduler");
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, tick_, [this] { return stopping_; })) {
      lock.unlock();
      RunDue();
      lock.lock();
    }
  });
}

void Scheduler::Stop() {
  {
    const std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

const Scheduler::Entry* Scheduler::Find(const std::string& name) const {
  for (const auto& entry : entries_) {
    if (entry->name == name) return entry.get();
  }
  return nullptr;
}

std::uint64_t Scheduler::runs(const std::string& name) const {
  const Entry* entry = Find(name);
  return entry != nullptr ? entry->runs.load(std::memory_order_relaxed) : 0;
}

std::uint64_t Scheduler::failures(const std::string& name) const {
  const Entry* entry = Find(name);
  return entry != nullptr ? entry->failures.load(std::memory_order_relaxed) : 0;
}

}  // namespace promorec::scheduler
