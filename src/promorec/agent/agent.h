// The log shipper: tails the files matching a glob (Tailer), gathers their
// lines into batches (Batch), delivers each batch through a Sink with
// capped, jittered exponential backoff between failed attempts (Backoff),
// and after each delivered batch writes the checkpoint, so that a restart
// resends at most the batch that was in flight and loses nothing.
//
// One batch is in flight at a time and reading waits while it is
// delivered, which keeps acknowledgement simple: when a batch is delivered,
// everything read so far is.
//
// Thread-safety: Run and Step belong to one thread; `stop` may be set from
// any thread (or a signal handler: it is only loaded).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "promorec/agent/backoff.h"
#include "promorec/agent/batch.h"
#include "promorec/agent/sink.h"
#include "promorec/agent/tail_fs.h"
#include "promorec/agent/tailer.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"

namespace promorec::agent {

struct AgentOptions {
  std::string watch;  // the glob
  LineFormat format = LineFormat::kClick;
  BatchLimits batch;
  std::string checkpoint_path;  // "" keeps no checkpoint
  std::chrono::milliseconds poll{250};
  BackoffOptions backoff;
  // After `stop`: how long to keep trying to deliver the last batch.
  std::chrono::milliseconds stop_timeout{10'000};
  std::uint64_t seed = 0x6167656E74ull;  // jitter
};

struct AgentStats {
  std::uint64_t batches_sent = 0;
  std::uint64_t lines_sent = 0;      // delivered and accepted
  std::uint64_t lines_rejected = 0;  // delivered, refused as invalid
  std::uint64_t failed_sends = 0;    // requests that failed and were retried
  std::uint64_t checkpoints_written = 0;
};

class Agent {
 public:
  // Loads the checkpoint (an absent file is an empty one).
  [[nodiscard]] static base::Result<std::unique_ptr<Agent>> Open(TailFs& fs, base::Env& env,
                                                                 base::Clock& clock, Sink& sink,
                                                                 AgentOptions options);

  // Works until `stop` is set, then delivers the batch it holds (for at
  // most stop_timeout) and writes the checkpoint. An error is one that
  // waiting does not cure: the server refuses the requests as such, a file
  // or the checkpoint cannot be read or written.
  [[nodiscard]] base::Status Run(const std::atomic<bool>& stop);

  // One round: scan when a poll interval has passed, read, deliver the
  // batch when it is due. Returns how long (ns) nothing is due; 0 when
  // another round should follow at once.
  [[nodiscard]] base::Result<std::int64_t> Step(const std::atomic<bool>& stop);

  const AgentStats& stats() const { return stats_; }
  const TailerStats& tailer_stats() const { return tailer_.stats(); }
  std::size_t batch_size() const { return batch_.size(); }

 private:
  Agent(TailFs& fs, base::Env& env, base::Clock& clock, Sink& sink, AgentOptions options,
        std::vector<CheckpointEntry> resume);

  // Sends the batch until it is delivered. kUnavailable when `stop` came
  // and stop_timeout ran out first (nothing is acknowledged then).
  [[nodiscard]] base::Status Deliver(const std::atomic<bool>& stop);
  base::Status WriteCheckpoint();
  // Sleeps until `deadline_ns` (monotonic) or until `stop` is set.
  void SleepUntil(std::int64_t deadline_ns, const std::atomic<bool>& stop);
  // The monotonic time by which a stopping agent gives up; starts the
  // clock at the first call after `stop` was set.
  std::int64_t StopDeadline();

  base::Env& env_;
  base::Clock& clock_;
  Sink& sink_;
  AgentOptions options_;
  Tailer tailer_;
  Batch batch_;
  Backoff backoff_;
  AgentStats stats_;
  std::int64_t next_scan_ns_ = 0;
  std::int64_t stop_deadline_ns_ = -1;
  std::vector<std::size_t> pending_;
  std::vector<std::string_view> views_;
};

}  // namespace promorec::agent
