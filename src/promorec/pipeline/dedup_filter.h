// The event de-duplication filter of the stream processor: Seen(shard, id,
// arrival) answers whether an event id was already recorded within the
// window (default 1 h of log arrival time), and records it otherwise, so
// that a re-sent event has no second effect. The rule, the memory layout
// and the checkpoint files are in docs/formats/dedup.md.
//
// - Deterministic per shard: an answer depends only on the (id, arrival)
//   sequence of its shard up to it and on the options. A consumer that
//   restores the filter from the manifest saved with its positions and
//   replays the same records gets the same answers (and counters).
// - Memory: ids are kept as 64-bit fingerprints in time-bucketed ordered
//   hash tables (about 9 bytes per id once a bucket is sealed). max_bytes
//   is split evenly over the shards; past its share a shard drops its
//   oldest ids early (counted), never fails and never holds more.
// - Seen allocates nothing in the steady state (only when a bucket is
//   sealed or the open table doubles) and probes each live bucket once,
//   with the probes' first cache lines prefetched together.
// - Checkpoint writes each sealed bucket once as an immutable file and the
//   open one per checkpoint, and returns a small manifest for the caller to
//   keep in its own atomic snapshot; Restore rebuilds from exactly that
//   manifest; CollectGarbage deletes what no committed manifest needs.
//
// Thread-safety: calls for different shards touch disjoint state, so Seen
// and ShardStats for different shards may run on different threads at once.
// Everything else (Stats, Checkpoint) needs no Seen running at the same time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/pipeline/dedup_format.h"
#include "promorec/pipeline/dedup_table.h"

namespace promorec::pipeline {

struct DedupOptions {
  // Ids are remembered for at least this long (arrival time, µs) and less
  // than window_us + window_us / bucket_count.
  std::int64_t window_us = std::int64_t{3600} * 1000 * 1000;
  // The window is cut into this many buckets; a whole bucket expires at
  // once. More buckets: closer to the window, more probes per lookup.
  std::uint32_t bucket_count = 16;
  // Bound on everything the filter holds, split evenly over the shards.
  std::uint64_t max_bytes = std::uint64_t{1} << 30;
  std::uint32_t shard_count = 1;
};

struct DedupStats {
  std::uint64_t duplicates = 0;     // Seen answered true
  std::uint64_t recorded = 0;       // Seen answered false (the id was recorded)
  std::uint64_t ids_held = 0;       // fingerprints held now
  std::uint64_t bytes_held = 0;     // memory held now (counted against max_bytes)
  std::uint64_t evicted_early = 0;  // ids dropped before their window ended, for the bound
  std::uint64_t expired = 0;        // ids dropped at the end of their window
  std::uint64_t segments = 0;       // sealed segments held now

  friend bool operator==(const DedupStats&, const DedupStats&) = default;
};

// The fingerprint of an event id (never 0).
std::uint64_t DedupFingerprint(std::string_view event_id);

class DedupFilter {
 public:
  // The smallest share of max_bytes a shard may get.
  static constexpr std::uint64_t kMinShardBytes = 64 * 1024;

  // InvalidArgument for a window or bucket count out of range, no shards, or
  // a bound under kMinShardBytes per shard.
  [[nodiscard]] static base::Result<std::unique_ptr<DedupFilter>> Create(
      const DedupOptions& options);

  // Rebuilds the filter a Checkpoint into `dir` returned `manifest` for,
  // from exactly the files it names. `options` must have the window, bucket
  // count and shard count the manifest was written with (FailedPrecondition
  // otherwise); max_bytes may differ (a smaller bound drops the oldest
  // segments, counted as evicted early). Corruption names the file, the
  // byte offset and the reason; see docs/formats/dedup.md for what a
  // consumer should do then (start empty, and count it).
  [[nodiscard]] static base::Result<std::unique_ptr<DedupFilter>> Restore(
      base::Env& env, const std::string& dir, std::string_view manifest,
      const DedupOptions& options);

  // Deletes the files in `dir` of checkpoints up to the committed one that
  // its manifest does not name; later checkpoints' files are kept. Pass the
  // manifest of the snapshot the caller last committed. Returns how many
  // files were deleted.
  [[nodiscard]] static base::Result<std::size_t> CollectGarbage(base::Env& env,
                                                                const std::string& dir,
                                                                std::string_view committed);

  DedupFilter(const DedupFilter&) = delete;
  DedupFilter& operator=(const DedupFilter&) = delete;
  ~DedupFilter();

  // True if `event_id` was recorded in `shard` within the window before
  // `arrival_us`; otherwise records it and returns false. `shard` must be
  // below shard_count (the process aborts otherwise: a wiring error).
  bool Seen(std::uint32_t shard, std::string_view event_id, std::int64_t arrival_us) {
    return SeenFingerprint(shard, DedupFingerprint(event_id), arrival_us);
  }
  bool SeenFingerprint(std::uint32_t shard, std::uint64_t fp, std::int64_t arrival_us);

  // Writes what the manifest needs into `dir` (created if missing) and
  // returns the manifest. Files are synced and renamed into place and the
  // directory synced before it returns, so the caller may commit the
  // manifest at once. On an error nothing the last committed manifest
  // names has been touched, and a later Checkpoint may be tried.
  [[nodiscard]] base::Result<std::string> Checkpoint(base::Env& env, const std::string& dir);

  DedupStats Stats() const;
  DedupStats ShardStats(std::uint32_t shard) const;
  const DedupOptions& options() const { return options_; }
  // The bucket width B = ceil(window / bucket count), µs.
  std::int64_t bucket_us() const { return bucket_us_; }
  std::uint64_t shard_budget() const { return shard_budget_; }

 private:
  struct Segment {
    std::uint64_t id = 0;
    std::int64_t bucket = 0;
    FingerprintTable table;
    // The checkpoint that wrote its file; 0 = not written yet.
    std::uint64_t written_by = 0;
    std::uint32_t data_crc = 0;
  };
  struct alignas(64) Shard {
    std::vector<Segment> sealed;  // oldest first
    FingerprintTable open;
    bool has_time = false;
    std::int64_t newest_us = 0;
    std::int64_t open_bucket = 0;
    std::uint64_t next_segment_id = 0;
    std::uint64_t bytes = 0;
    std::uint64_t ids = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t recorded = 0;
    std::uint64_t evicted_early = 0;
    std::uint64_t expired = 0;
    // The open segment's last file: written by which checkpoint, with how
    // many fingerprints (an open table only grows, so an equal count means
    // equal contents), its segment id and CRC.
    std::uint64_t open_written_by = 0;
    std::uint64_t open_written_count = 0;
    std::uint64_t open_written_id = 0;
    std::uint32_t open_written_crc = 0;
  };

  DedupFilter(const DedupOptions& options, std::int64_t bucket_us);

  std::int64_t BucketOf(std::int64_t time_us) const;
  // Moves the shard's clock to `arrival_us` (never back): seals and
  // expires segments when the bucket changes.
  void Advance(Shard& shard, std::int64_t arrival_us);
  // Seals the open table (in place) into a new sealed segment, unless empty.
  void SealOpen(Shard& shard);
  // Drops the oldest sealed segments until `extra` more bytes fit the
  // shard's share; whether they do.
  bool MakeRoom(Shard& shard, std::uint64_t extra);
  // Before an insert: doubles the open table if it is due, within the bound.
  void PrepareInsert(Shard& shard);
  // After an insert: back within the bound, whatever it takes.
  void EnforceBound(Shard& shard);
  void NewOpenTable(Shard& shard);
  void DropOldestSealed(Shard& shard);

  DedupOptions options_;
  std::int64_t bucket_us_;
  std::uint64_t shard_budget_;
  std::vector<Shard> shards_;
  // Where the segments marked written live, and the last checkpoint number
  // used there (0: no checkpoint into dir_ yet by this filter).
  std::string dir_;
  std::uint64_t checkpoint_ = 0;
  // Whether checkpoint_ has been lifted above every file name in dir_.
  bool dir_scanned_ = false;
};

}  // namespace promorec::pipeline
