// The user profiles: a profile::ProfileStore kept equal to the fold of the
// `clicks` stream by a consumer of that stream (stream_consumer.h). At
// start it loads DATA_DIR/profiles/snapshot (docs/formats/profile-snapshot.md)
// when there is one and applies the stream's records after the snapshot's
// positions (all of them without a snapshot) before anything is served;
// then its consumer applies each new record moments after it is appended,
// whoever appended it. The snapshot holds the consumer's positions, so the
// profiles and the records they reflect are saved together. The consumer
// takes it every snapshot_interval_us (on the injected clock) between
// batches, when it is the only writer of the profiles: it marks the moment
// of the profiles and of the pipeline state (copy-on-write snapshots:
// profile_store.h, decision_stage.h); a thread of its own encodes the
// profiles and caps and writes the files while the consumer encodes the
// pending decisions a part per round, so the pipeline waits neither for
// millions of shoppers' state nor for the disk (memory: one encoded copy
// of the profiles and the state while it writes, and the entries changed
// before the encoding reached them); Save writes it once more on a
// graceful stop.
// A start
// after a crash replays the stream from the last snapshot: at most one interval of
// it. Records that are not binary event records (a Kinesis producer's own
// data) are skipped.
//
// Thread-safety: store(), WaitUntilApplied, Summary and snapshots() may be
// used from many threads while the consumer runs. Open, Start, Stop, Save
// and SnapshotIfDue are called by one thread (serve's main thread) while
// the consumer is stopped.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"
#include "promorec/lake/table_writer.h"
#include "promorec/pipeline/decision_stage.h"
#include "promorec/pipeline/dedup_filter.h"
#include "promorec/pipeline/lake_tables.h"
#include "promorec/pipeline/stream_consumer.h"
#include "promorec/profile/profile_store.h"

namespace promorec::pipeline {

struct ProfileStartup {
  std::uint64_t from_snapshot = 0;  // profiles loaded from the snapshot
  bool had_snapshot = false;
  std::uint64_t replayed = 0;  // events applied from the stream at start
  std::uint64_t skipped = 0;   // stream records that were not events
  // The pipeline state (dedup, caps, budgets) saved with the snapshot was
  // missing or damaged, so those started empty.
  bool state_reset = false;
};

// The consumer's name, also its checkpoint's in the clicks stream.
inline constexpr std::string_view kProfileConsumer = "profiles";

struct ProfileFoldOptions {
  // Between snapshots written while serving; 0 = only on Save.
  std::int64_t snapshot_interval_us = 60'000'000;
  // Profiles of shoppers with no event for this long are dropped before
  // each periodic snapshot; 0 = kept forever. The time is the events' own:
  // "for this long" before the newest event the fold has seen, so that a
  // replay of old events (an import of last year's log) keeps its shoppers.
  std::int64_t profile_ttl_us = 90LL * 24 * 3'600'000'000;
  // Events whose id was seen within the window have no effect (on the
  // profiles, decisions, or anything after); none = every event counts.
  std::optional<DedupOptions> dedup;
  // The lake's clicks table, fed with every event that passes dedup. It is
  // flushed before each snapshot, so its files always reach at least as far
  // as the snapshot's positions and a replay from there completes it
  // (records it already holds are ignored by sequence).
  std::shared_ptr<lake::TableWriter> clicks_lake;
};

// Makes the decision stage once the profile store exists (the stage's
// decider reads it), before the start-up replay; null = no decisions.
using StageFactory = std::function<base::Result<DecisionStage*>(const profile::ProfileStore&)>;

class ProfileFold {
 public:
  // Loads the snapshot and replays the stream after it. A damaged snapshot
  // is an error naming the file and what is wrong (it is not silently
  // rebuilt: the stream may no longer hold every event).
  // `clock` must outlive the fold.
  [[nodiscard]] static base::Result<std::unique_ptr<ProfileFold>> Open(
      base::Env& env, const base::Clock& clock, const std::string& data_dir,
      std::shared_ptr<eventlog::Stream> clicks, ProfileFoldOptions options = {},
      const StageFactory& make_stage = {});

  // Applies new records as they are appended, until Stop.
  // Stops the consumer and waits for a snapshot being written.
  ~ProfileFold();
  ProfileFold(const ProfileFold&) = delete;
  ProfileFold& operator=(const ProfileFold&) = delete;

  void Start() { consumer_->Start(); }
  void Stop() { consumer_->Stop(); }

  const profile::ProfileStore& store() const { return store_; }
  const ProfileStartup& startup() const { return startup_; }
  // "profiles: 12 users (10 from DIR/profiles/snapshot, 7 events replayed
  // from the clicks stream)".
  std::string Summary() const;

  // Blocks until the records up to `last` (per shard of the clicks stream;
  // see ingest::EventWriter::LastAcknowledged) are in the profiles, or
  // `timeout_us` passes; false on time-out.
  bool WaitUntilApplied(std::span<const std::uint64_t> last, std::int64_t timeout_us) const {
    return consumer_->WaitUntilPast(last, timeout_us);
  }

  // Writes the snapshot with the consumer's positions, and the consumer's
  // checkpoint in the clicks stream (which keeps retention from deleting
  // what the profiles have not yet folded in); returns the number of
  // profiles written. Call when the consumer is stopped.
  [[nodiscard]] base::Result<std::uint64_t> Save();
  const std::string& snapshot_path() const { return snapshot_path_; }

  // Saves when an interval has passed on the clock since the last snapshot
  // (the consumer calls this between batches), after dropping the profiles
  // past profile_ttl_us; true when it saved. A failed
  // snapshot is logged and tried again at the next interval: the previous
  // snapshot stays whole, and the stream still holds what came after it.
  bool SnapshotIfDue();
  // Waits until the snapshot SnapshotIfDue started is written (snapshots()
  // or failed_snapshots() then counts it). Call where the consumer is
  // stopped, or on its thread.
  void FinishSnapshot();
  // Events skipped as repeats, and the dedup filter's figures (zero
  // without dedup); read while the consumer runs, so approximate.
  std::uint64_t duplicates() const { return duplicates_.load(std::memory_order_relaxed); }
  const DedupFilter* dedup() const { return dedup_.get(); }
  // Profiles dropped for having no event for profile_ttl_us, and caps
  // shoppers pruned (both after each periodic snapshot is encoded).
  std::uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }
  std::uint64_t caps_pruned() const { return caps_pruned_.load(std::memory_order_relaxed); }
  // Snapshots written while serving, and those that failed.
  std::uint64_t snapshots() const { return snapshots_.load(std::memory_order_relaxed); }
  std::uint64_t failed_snapshots() const {
    return failed_snapshots_.load(std::memory_order_relaxed);
  }

 private:
  ProfileFold(base::Env& env, const base::Clock& clock, std::string snapshot_path,
              std::string state_dir, ProfileFoldOptions options)
      : env_(env),
        clock_(clock),
        snapshot_path_(std::move(snapshot_path)),
        state_dir_(std::move(state_dir)),
        options_(std::move(options)) {}

  // Runs on one thread at a time (the start-up replay, then the consumer).
  void Apply(std::uint32_t shard, const eventlog::ReadBatch& batch);
  void FlushStage();
  // A snapshot in memory, taken between batches, and its writing.
  struct SaveJob {
    std::vector<std::uint64_t> positions;
    std::optional<std::string> state;  // the encoded pipeline state, if any (WriteSave fills it)
    std::string dedup_manifest;
    std::string snapshot;  // the encoded profile snapshot (WriteSave fills it)
    std::uint64_t profiles = 0;
    std::string steps;  // how long each step of PrepareSave took
    // After the encoding, on the writer's thread: profiles last seen before
    // this are dropped (none: no scan), and caps no window needs pruned at
    // this event time (0: not).
    std::optional<std::int64_t> drop_before_us;
    std::int64_t prune_caps_at_us = 0;
  };
  [[nodiscard]] base::Result<SaveJob> PrepareSave();
  [[nodiscard]] base::Result<std::uint64_t> WriteSave(SaveJob& job);
  static constexpr std::size_t kMaxWaitingDecisions = 4096;
  // Pending decisions a round encodes for a begun snapshot.
  static constexpr std::size_t kSnapshotPart = 2048;
  // Restores the dedup filter and the decision stage from the state saved
  // at `positions` (the profile snapshot's).
  [[nodiscard]] base::Status RestoreState(const std::vector<std::uint64_t>& positions);

  base::Env& env_;
  const base::Clock& clock_;
  std::string snapshot_path_;
  std::string state_dir_;
  ProfileFoldOptions options_;
  DecisionStage* stage_ = nullptr;
  std::unique_ptr<DedupFilter> dedup_;
  std::atomic<std::uint64_t> duplicates_{0};
  Row lake_row_;
  std::int64_t last_snapshot_nanos_ = 0;  // on the clock's monotonic time
  std::size_t last_state_bytes_ = 0;      // of the last snapshot, for the next
  std::thread writer_;                    // writes the snapshot SnapshotIfDue took
  std::atomic<bool> writing_{false};
  std::atomic<std::uint64_t> snapshots_{0};
  std::atomic<std::uint64_t> failed_snapshots_{0};
  std::atomic<std::uint64_t> expired_{0};
  std::atomic<std::uint64_t> caps_pruned_{0};
  std::int64_t newest_event_us_ = 0;  // the latest event timestamp applied
  // For skipping the TTL scan: the oldest last-seen time the last one
  // kept (unknown at the start; set by the writer's thread, read after
  // writing_ says it is done), and the oldest event applied since the last
  // scan was asked for.
  std::int64_t oldest_kept_us_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t oldest_since_drop_us_ = std::numeric_limits<std::int64_t>::max();
  profile::ProfileStore store_;
  ProfileStartup startup_;
  bool replaying_ = true;    // counts into startup_ while true
  event::ClickEvent event_;  // Apply's decoding buffer
  std::unique_ptr<StreamConsumer> consumer_;
};

}  // namespace promorec::pipeline
