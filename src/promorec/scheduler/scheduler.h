// Jobs that run every so often (retention, snapshots, retraining) on an
// injected clock. A job is due once its interval has passed on the clock
// since it last ran (or since it was added); RunDue runs every due job, in
// the order they were added, on the caller's thread. Start runs RunDue on a
// thread of its own, which wakes on real time every `tick`; whether a job
// is due is decided on the clock alone, so tests move a FakeClock and call
// RunDue without sleeping. A job that throws is logged and counted; it
// runs again at its next interval.
//
// Thread-safety: Add before Start; RunDue, runs() and failures() may be
// called from any thread, and RunDue calls never overlap.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/status.h"

namespace promorec::scheduler {

class Scheduler {
 public:
  // A job's result: an error is logged and counted as a failure.
  using Job = std::function<base::Status()>;

  // `clock` must outlive the scheduler.
  explicit Scheduler(const base::Clock& clock,
                     std::chrono::milliseconds tick = std::chrono::seconds(1))
      : clock_(clock), tick_(tick) {}
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `job` every `interval` (> 0) of the clock, first one interval from
  // now.
  void Add(std::string name, std::chrono::microseconds interval, Job job);

  // Runs the jobs that are due; returns how many ran.
  std::size_t RunDue();

  void Start();
  // Waits for a job that is running, then stops the thread.
  void Stop();

  // Totals per job, by name (0 for an unknown name).
  std::uint64_t runs(const std::string& name) const;
  std::uint64_t failures(const std::string& name) const;

 private:
  struct Entry {
    std::string name;
    std::int64_t interval_nanos;
    Job job;
    std::int64_t next_nanos;
    std::atomic<std::uint64_t> runs{0};
    std::atomic<std::uint64_t> failures{0};
  };

  const Entry* Find(const std::string& name) const;

  const base::Clock& clock_;
  const std::chrono::milliseconds tick_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::mutex run_mu_;  // one RunDue at a time
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace promorec::scheduler
