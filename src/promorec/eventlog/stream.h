// Streams of opaque records with Kinesis Data Streams' semantics: a stream
// has shards; a record goes to the shard that owns the hash of its
// partition key; each shard numbers its records with growing sequence
// numbers and keeps their arrival time; readers start from an iterator
// position and read batches; named consumers keep durable checkpoints.
//
// Stream and StreamStore are the interface every backend implements: the
// embedded log on local disk (local_store.h) and, later, a distributed
// engine. Callers above eventlog/ depend on this header only.
//
// Thread-safety: Stream and StreamStore are safe to use from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/eventlog/hash_key.h"

namespace promorec::eventlog {

enum class Durability : std::uint8_t { kFsync = 0, kInterval = 1, kNone = 2 };

std::string_view DurabilityName(Durability durability);
[[nodiscard]] base::Result<Durability> ParseDurability(std::string_view name);

inline constexpr std::int64_t kHourMicros = 3'600'000'000LL;
inline constexpr std::int64_t kMinRetentionMicros = 24 * kHourMicros;
inline constexpr std::int64_t kMaxRetentionMicros = 365 * 24 * kHourMicros;

struct StreamOptions {
  std::uint32_t shard_count = 4;
  Durability durability = Durability::kFsync;
  std::uint32_t sync_interval_ms = 100;
  std::int64_t retention_us = kMinRetentionMicros;
  std::uint64_t retention_bytes = 0;  // 0 = no size limit
  std::uint64_t segment_bytes = 64ull << 20;

  // InvalidArgument naming the first bad value.
  [[nodiscard]] base::Status Validate() const;
};

// Stream names: 1..128 of [A-Za-z0-9_.-], not starting with '.'.
[[nodiscard]] base::Status ValidateStreamName(std::string_view name);

struct PutRecord {
  std::string_view partition_key;
  std::string_view data;
  std::optional<HashKey> explicit_hash_key;
};

struct PutResult {
  std::uint32_t shard = 0;
  std::uint64_t sequence = 0;
};

struct RecordView {
  std::uint64_t sequence = 0;
  std::int64_t arrival_us = 0;
  std::string_view partition_key;
  std::string_view data;
};

// Records read from one shard. The views point into `storage`, which is
// shared, so copies and moves of the batch keep them valid.
struct ReadBatch {
  std::vector<RecordView> records;
  // Where the next read continues (one past the last record returned, or
  // the same position when nothing was returned).
  std::uint64_t next_sequence = 0;
  // How far the shard's newest record is ahead of the last one returned, in
  // µs of arrival time (0 when caught up).
  std::int64_t behind_us = 0;
  std::shared_ptr<const std::string> storage;
};

enum class IteratorType : std::uint8_t {
  kTrimHorizon,    // the oldest record kept
  kLatest,         // just after the newest record
  kAtSequence,     // at `sequence`
  kAfterSequence,  // just after `sequence`
  kAtTimestamp,    // the first record that arrived at or after `timestamp_us`
};

struct IteratorSpec {
  IteratorType type = IteratorType::kTrimHorizon;
  std::uint64_t sequence = 0;
  std::int64_t timestamp_us = 0;
};

struct ReadLimits {
  std::size_t max_records = 10'000;
  std::size_t max_bytes = 10u << 20;
};

struct ShardInfo {
  std::uint32_t shard = 0;
  HashKey starting_hash_key = 0;
  HashKey ending_hash_key = 0;
  std::uint64_t first_sequence = 0;  // oldest kept (0 when empty)
  std::uint64_t last_sequence = 0;   // newest acknowledged (0 when empty)
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint32_t segments = 0;
  bool failed = false;  // refuses appends after an I/O error
};

struct ConsumerCheckpoint {
  std::string consumer;
  std::uint32_t shard = 0;
  std::uint64_t sequence = 0;
  std::int64_t updated_us = 0;
};

struct RetentionResult {
  std::uint32_t segments_deleted = 0;
  std::uint64_t bytes_deleted = 0;
  // Segments deleted by the size limit although a consumer had not
  // checkpointed past them.
  std::uint32_t forced_deletions = 0;
};

class Stream {
 public:
  virtual ~Stream() = default;

  virtual const std::string& name() const = 0;
  virtual StreamOptions options() const = 0;
  virtual std::int64_t created_us() const = 0;

  // Appends records; returns when every one is durable under the stream's
  // durability mode, with each record's shard and sequence number in input
  // order. On error none of the batch may be assumed durable (some may have
  // been written and may appear after a reopen: at-least-once).
  [[nodiscard]] virtual base::Result<std::vector<PutResult>> Append(
      std::span<const PutRecord> records) = 0;
  // Append that writes each record's shard and sequence number into
  // `results` (one entry per record, in input order) instead of returning
  // them, for callers that reuse one buffer. This default calls Append.
  [[nodiscard]] virtual base::Status AppendInto(std::span<const PutRecord> records,
                                                std::span<PutResult> results);

  // Makes every acknowledged record durable now. In `fsync` mode they
  // already are; in `interval` and `none` modes this syncs what was written
  // since the last sync. A consumer of a stream written in a weaker mode
  // calls it before it persists anything that depends on the records it
  // read, so that a power loss cannot leave it past the stream's end.
  [[nodiscard]] virtual base::Status Sync() = 0;

  // The sequence number a read at this position starts from.
  [[nodiscard]] virtual base::Result<std::uint64_t> Resolve(std::uint32_t shard,
                                                            const IteratorSpec& spec) = 0;
  // Reads acknowledged records at or after `from_sequence`.
  [[nodiscard]] virtual base::Result<ReadBatch> Read(std::uint32_t shard,
                                                     std::uint64_t from_sequence,
                                                     const ReadLimits& limits) = 0;

  [[nodiscard]] virtual base::Result<std::vector<ShardInfo>> DescribeShards() = 0;

  // Blocks until some shard holds a record at or after its entry of
  // `next_sequences` (one per shard, in shard order) or `timeout_us` passes;
  // true when one does. Consumers that have caught up wait here instead of
  // polling. This default asks DescribeShards every 10 ms; a backend that
  // knows when records arrive answers sooner.
  [[nodiscard]] virtual base::Result<bool> WaitForRecords(
      std::span<const std::uint64_t> next_sequences, std::int64_t timeout_us);

  // Durable, atomic per-shard checkpoints of named consumers.
  [[nodiscard]] virtual base::Status SaveCheckpoint(std::string_view consumer, std::uint32_t shard,
                                                    std::uint64_t sequence) = 0;
  [[nodiscard]] virtual base::Result<std::optional<std::uint64_t>> LoadCheckpoint(
      std::string_view consumer, std::uint32_t shard) = 0;
  [[nodiscard]] virtual base::Result<std::vector<ConsumerCheckpoint>> ListCheckpoints() = 0;

  [[nodiscard]] virtual base::Status SetRetention(std::int64_t retention_us) = 0;
  // Deletes what retention allows now.
  [[nodiscard]] virtual base::Result<RetentionResult> EnforceRetention() = 0;
};

class StreamStore {
 public:
  virtual ~StreamStore() = default;

  // AlreadyExists when the stream exists.
  [[nodiscard]] virtual base::Result<std::shared_ptr<Stream>> CreateStream(
      std::string_view name, const StreamOptions& options) = 0;
  // NotFound when it does not. Opening twice returns the same stream.
  [[nodiscard]] virtual base::Result<std::shared_ptr<Stream>> OpenStream(std::string_view name) = 0;
  virtual base::Result<std::vector<std::string>> ListStreams() = 0;
  [[nodiscard]] virtual base::Status DeleteStream(std::string_view name) = 0;
};

}  // namespace promorec::eventlog
