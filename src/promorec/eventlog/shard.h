// One shard of a local stream: its segment files, the single writer thread
// that group-commits appends, and reads. Appenders queue requests; the
// writer takes every waiting request, writes them with one write, makes
// them durable with one sync (in `fsync` mode), publishes them to readers
// and wakes the appenders. Readers scan segment files without blocking the
// writer, up to what has been acknowledged.
//
// Thread-safety: Submit, Read, Resolve, Info and the retention calls are
// safe from any thread.
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
#include "promorec/eventlog/completion.h"
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
  Completion* completion = nullptr;
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
  static base::Result<std::unique_ptr<Shard>> Open(base::Env& env, base::Clock& clock,
                                                   ShardConfig config, RecoveryReport* report);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Queues the request; request->completion->Done is called once it is
  // durable or failed. The request must stay alive until then.
  void Submit(AppendRequest* request);

  base::Result<std::uint64_t> Resolve(const IteratorSpec& spec);
  base::Result<ReadBatch> Read(std::uint64_t from_sequence, const ReadLimits& limits);
  ShardInfo Info();

  std::vector<SealedSegment> SealedSegments();
  // Deletes the oldest segment if it is sealed and starts at
  // `first_sequence`; returns its size (0 when nothing was deleted).
  base::Result<std::uint64_t> DeleteOldestSegment(std::uint64_t first_sequence);
  std::uint64_t TotalBytes();

 private:
  struct Segment;

  Shard(base::Env& env, base::Clock& clock, ShardConfig config);
  base::Status Start(ShardState state);
  base::Status CreateSegment(std::uint64_t first_sequence);
  base::Status SealActiveSegment();
  void WriterLoop();
  void WriteGroup(std::vector<AppendRequest*>& group);
  void Fail(std::vector<AppendRequest*>& group, const base::Error& error);
  base::Status SyncIfDue(bool force);
  // Under meta_mu_: the segment holding `sequence` (or the first after it).
  std::size_t SegmentFor(std::uint64_t sequence) const;

  base::Env& env_;
  base::Clock& clock_;
  const ShardConfig config_;

  // Writer state: only the writer thread touches these after Start.
  std::unique_ptr<base::WritableFile> active_file_;
  std::uint64_t next_sequence_ = 1;
  std::int64_t last_arrival_us_ = 0;
  std::uint64_t written_end_ = 0;  // file offset after the last write
  bool dirty_ = false;             // written but not synced (interval/none)
  std::int64_t next_sync_ns_ = 0;
  std::optional<base::Error> failed_;
  std::string buffer_;
  std::string payload_;
  struct Pending {
    std::uint64_t sequence;
    std::int64_t arrival_us;
    std::uint64_t offset;
  };
  std::vector<Pending> pending_;

  // Request queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<AppendRequest*> queue_;
  bool stopping_ = false;
  std::thread writer_;

  // What readers see; guarded by meta_mu_.
  mutable std::mutex meta_mu_;
  std::vector<std::shared_ptr<Segment>> segments_;
  std::uint64_t visible_last_sequence_ = 0;
  std::int64_t visible_last_arrival_us_ = 0;
  std::atomic<bool> failed_flag_{false};
};

}  // namespace promorec::eventlog
