// One shard of a local stream: its segment files, group-committed appends
// and reads. Appending is leader/follower: the first appender in the queue
// becomes the leader and writes every waiting batch with one write, then (in
// `fsync` mode) makes them durable with one fdatasync, publishes them to
// readers and wakes the others, each exactly once. There is no hand-off to
// another thread, so a lone appender runs at the speed of one core, and
// appenders that arrive during a sync form the next, larger group. Readers
// scan segment files without blocking writers, up to what is acknowledged.
//
// Thread-safety: every public method is safe from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/eventlog/recovery_report.h"
#include "promorec/eventlog/shard_recovery.h"
#include "promorec/eventlog/stream.h"

namespace promorec::eventlog {

struct ShardConfig {
  std::string dir;
  std::string stream_name;
  std::uint32_t shard = 0;
  std::uint32_t shard_count = 1;
  Durability durability = Durability::kFsync;
  std::uint32_t sync_interval_ms = 100;
  std::uint64_t segment_bytes = 64ull << 20;
  // The active segment is sealed once its first record is this old.
  std::int64_t seal_age_us = 0;
};

// The records of one caller's batch that go to one shard.
struct AppendRequest {
  std::span<const PutRecord> records;      // the caller's whole batch
  std::span<const std::uint32_t> indices;  // which of them go here
  std::span<PutResult> results;            // filled at the same indices
};

// A sealed segment as retention sees it.
struct SealedSegment {
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::int64_t first_arrival_us = 0;
  std::int64_t last_arrival_us = 0;
  std::uint64_t size = 0;
};

class Shard {
 public:
  // Recovers the shard directory (see shard_recovery.h), reopens or creates
  // the active segment and starts the writer thread.
  [[nodiscard]] static base::Result<std::unique_ptr<Shard>> Open(base::Env& env, base::Clock& clock,
                                                                 ShardConfig config,
                                                                 RecoveryReport* report);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Appends the request's records, group-committed with concurrent
  // requests; returns once they are durable under the stream's mode.
  [[nodiscard]] base::Status Append(const AppendRequest& request);
  Durability durability() const { return config_.durability; }

  [[nodiscard]] base::Result<std::uint64_t> Resolve(const IteratorSpec& spec);
  base::Result<ReadBatch> Read(std::uint64_t from_sequence, const ReadLimits& limits);
  ShardInfo Info();
  // The newest record readers can see (0 when none).
  std::uint64_t LastVisibleSequence() const;

  // `interval` durability: syncs what was written since the last sync once
  // sync_interval_ms has passed on the clock since then. A failed sync
  // fences the shard (appends are refused until it is reopened). Returns
  // the nanoseconds until the next sync may be due. The shard's own thread
  // calls this; tests call it after moving a fake clock.
  std::int64_t SyncIfDue();
  // Makes every record written so far durable now, whatever the mode (a
  // no-op when nothing was written since the last sync). A failed sync
  // fences the shard, as in SyncIfDue.
  [[nodiscard]] base::Status Sync();

  std::vector<SealedSegment> SealedSegments();
  // Deletes the oldest segment if it is sealed and starts at
  // `first_sequence`; returns its size (0 when nothing was deleted).
  [[nodiscard]] base::Result<std::uint64_t> DeleteOldestSegment(std::uint64_t first_sequence);
  std::uint64_t TotalBytes();

 private:
  struct Segment;
  struct Writer;
  // A record written by the current group, published once it is durable.
  struct Pending {
    std::uint64_t sequence;
    std::int64_t arrival_us;
    std::uint64_t offset;
    std::uint64_t end_offset;
  };

  Shard(base::Env& env, base::Clock& clock, ShardConfig config);
  [[nodiscard]] base::Status Start(ShardState state);
  // Under file_mu_.
  [[nodiscard]] base::Status CreateSegment(std::uint64_t first_sequence);
  base::Status SealActiveSegment();
  [[nodiscard]] base::Status WriteGroup(const std::vector<Writer*>& group);
  // Makes the group's records visible to readers.
  void Publish();
  base::Error FailedError() const;
  void SyncLoop();
  // Under file_mu_: fdatasync of the active segment, clears dirty_.
  [[nodiscard]] base::Status SyncDirtyLocked(std::int64_t now_nanos);
  // Records the failure that stops appends (once).
  void Fence(const base::Error& error, std::string_view what);
  // Under meta_mu_: the segment holding `sequence` (or the first after it).
  std::size_t SegmentFor(std::uint64_t sequence) const;

  base::Env& env_;
  base::Clock& clock_;
  const ShardConfig config_;

  // The active file and where it ends; the write leader and the syncer
  // take turns on it.
  std::mutex file_mu_;
  std::unique_ptr<base::WritableFile> active_file_;
  std::shared_ptr<Segment> active_;
  std::uint64_t written_end_ = 0;
  bool dirty_ = false;                // written since the last sync
  std::int64_t last_sync_nanos_ = 0;  // on the clock's monotonic time
  std::uint64_t next_sequence_ = 1;
  std::int64_t last_arrival_us_ = 0;
  std::string buffer_;
  std::string payload_;
  std::vector<Pending> pending_;

  // Leadership queue and failure state.
  std::mutex mu_;
  std::deque<Writer*> queue_;
  std::vector<Writer*> group_;  // the current leader's group
  std::optional<base::Error> failed_;
  std::atomic<bool> failed_flag_{false};

  // Background sync for `interval` mode.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread syncer_;

  // What readers see; guarded by meta_mu_.
  mutable std::mutex meta_mu_;
  std::vector<std::shared_ptr<Segment>> segments_;
  std::uint64_t visible_last_sequence_ = 0;
  std::int64_t visible_last_arrival_us_ = 0;
};

}  // namespace promorec::eventlog
