#include "promorec/pipeline/profile_fold.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

#include "promorec/base/thread_name.h"
#include "promorec/event/binary_record.h"
#include "promorec/pipeline/pipeline_state.h"

namespace promorec::pipeline {

base::Result<std::unique_ptr<ProfileFold>> ProfileFold::Open(
    base::Env& env, const base::Clock& clock, const std::string& data_dir,
    std::shared_ptr<eventlog::Stream> clicks, ProfileFoldOptions options,
    const StageFactory& make_stage) {
  std::unique_ptr<ProfileFold> fold(new ProfileFold(env, clock, data_dir + "/profiles/snapshot",
                                                    data_dir + "/pipeline", std::move(options)));
  PROMOREC_ASSIGN_OR_RETURN(const bool has_snapshot, env.FileExists(fold->snapshot_path_));
  std::vector<std::uint64_t> positions;
  if (has_snapshot) {
    auto loaded = fold->store_.Load(env, fold->snapshot_path_);
    if (!loaded) {
      return std::unexpected(std::move(loaded).error().WithContext(
          "cannot load the profiles (delete the snapshot to rebuild them from the clicks "
          "stream)"));
    }
    fold->startup_.had_snapshot = true;
    fold->startup_.from_snapshot = loaded->profiles;
    positions = std::move(loaded->positions);
    PROMOREC_ASSIGN_OR_RETURN(const auto shards, clicks->DescribeShards());
    if (positions.size() != shards.size()) {
      return base::FailedPrecondition(
          fold->snapshot_path_ + " covers " + std::to_string(positions.size()) +
          " shards of the clicks stream, which has " + std::to_string(shards.size()) +
          " (delete the snapshot to rebuild the profiles from the stream)");
    }
  }
  if (fold->options_.dedup) {
    PROMOREC_ASSIGN_OR_RETURN(const auto shards, clicks->DescribeShards());
    fold->options_.dedup->shard_count = static_cast<std::uint32_t>(shards.size());
  }
  if (make_stage) {
    PROMOREC_ASSIGN_OR_RETURN(fold->stage_, make_stage(fold->store_));
  }
  PROMOREC_RETURN_IF_ERROR(fold->RestoreState(positions));
  ProfileFold* self = fold.get();
  PROMOREC_ASSIGN_OR_RETURN(
      fold->consumer_, StreamConsumer::Create(
                           std::string(kProfileConsumer), std::move(clicks), std::move(positions),
                           [self](std::uint32_t shard, const eventlog::ReadBatch& batch) {
                             self->Apply(shard, batch);
                           },
                           [self] {
                             self->FlushStage();
                             // The begun snapshot's pending decisions, a
                             // part per round (about a millisecond).
                             if (self->stage_ != nullptr) {
                               (void)self->stage_->ContinueSnapshot(kSnapshotPart);
                             }
                             (void)self->SnapshotIfDue();
                           }));
  PROMOREC_RETURN_IF_ERROR(fold->consumer_->CatchUp());
  // The decisions rewards may name are all back now.
  if (fold->stage_ != nullptr) fold->stage_->StartRewards();
  fold->FlushStage();
  // Start's thread creation orders this before the consumer thread's reads.
  fold->replaying_ = false;
  fold->last_snapshot_nanos_ = clock.MonotonicNanos();
  return fold;
}

base::Status ProfileFold::RestoreState(const std::vector<std::uint64_t>& positions) {
  if (!options_.dedup && stage_ == nullptr) return {};
  std::string dedup_manifest;
  std::string stage_state;
  if (startup_.had_snapshot) {
    auto state = LoadPipelineState(env_, state_dir_, positions);
    if (state) {
      dedup_manifest = std::move(state->dedup_manifest);
      stage_state = std::move(state->stage);
    } else {
      // Without it the pipeline cannot know which events it saw or what
      // it decided before the snapshot: dedup starts empty, and the caps
      // and budgets start again (the ad log is read whole so that no
      // decision is logged twice).
      startup_.state_reset = true;
      spdlog::warn("pipeline: {} (dedup, caps and budgets start empty)", state.error().ToString());
    }
  }
  if (options_.dedup) {
    auto filter = dedup_manifest.empty() ? DedupFilter::Create(*options_.dedup)
                                         : DedupFilter::Restore(env_, state_dir_ + "/dedup",
                                                                dedup_manifest, *options_.dedup);
    if (!filter && !dedup_manifest.empty()) {
      startup_.state_reset = true;
      spdlog::warn("pipeline: cannot restore the dedup filter: {} (starting empty)",
                   filter.error().ToString());
      filter = DedupFilter::Create(*options_.dedup);
    }
    if (!filter) return std::unexpected(std::move(filter).error());
    dedup_ = *std::move(filter);
  }
  if (stage_ != nullptr) {
    if (auto s = stage_->Restore(stage_state); !s) {
      startup_.state_reset = true;
      spdlog::warn("pipeline: cannot restore the decision state: {} (starting empty)",
                   s.error().ToString());
      PROMOREC_RETURN_IF_ERROR(stage_->Restore({}));
    }
  }
  return {};
}

void ProfileFold::Apply(std::uint32_t shard, const eventlog::ReadBatch& batch) {
  for (const eventlog::RecordView& record : batch.records) {
    // Only the ingest writer fills the clicks stream, with validated events.
    bool applied = event::DecodeValidatedBinaryRecord(record.data, &event_).has_value();
    if (applied && dedup_ && dedup_->Seen(shard, event_.event_id, record.arrival_us)) {
      duplicates_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    applied = applied && store_.Apply(event_);
    if (applied && stage_ != nullptr) stage_->OnEvent(shard, event_);
    if (applied && options_.clicks_lake) {
      ClicksRow(event_, &lake_row_);
      if (auto s = options_.clicks_lake->Add(shard, record.sequence, event_.timestamp_us,
                                             lake_row_.Fields());
          !s) {
        spdlog::error("lake clicks: {}", s.error().ToString());
      }
    }
    if (applied) {
      newest_event_us_ = std::max(newest_event_us_, event_.timestamp_us);
      oldest_since_drop_us_ = std::min(oldest_since_drop_us_, event_.timestamp_us);
    }
    if (!replaying_) continue;
    if (applied) {
      ++startup_.replayed;
    } else {
      ++startup_.skipped;
    }
  }
  // Decisions are logged once per round over the shards (FlushStage,
  // between rounds): one durable append for all of them. A long replay
  // logs as it goes, so that what waits stays bounded.
  if (stage_ != nullptr && stage_->waiting() >= kMaxWaitingDecisions) FlushStage();
}

void ProfileFold::FlushStage() {
  if (stage_ == nullptr) return;
  // A failed append keeps the decisions waiting; the next round (or the
  // snapshot, which waits for them) tries again.
  if (auto s = stage_->Flush(); !s) {
    spdlog::error("pipeline: cannot log decisions: {}", s.error().ToString());
  }
}

std::string ProfileFold::Summary() const {
  std::string out = "profiles: " + std::to_string(store_.size()) + " users (";
  out += startup_.had_snapshot ? std::to_string(startup_.from_snapshot) + " from " + snapshot_path_
                               : "no snapshot";
  out += ", " + std::to_string(startup_.replayed) + " events replayed from the clicks stream";
  if (startup_.skipped > 0) {
    out += ", " + std::to_string(startup_.skipped) + " records that are not events skipped";
  }
  return out + ")";
}

base::Result<std::uint64_t> ProfileFold::Save() {
  FinishSnapshot();
  PROMOREC_ASSIGN_OR_RETURN(SaveJob job, PrepareSave());
  if (stage_ != nullptr) (void)stage_->ContinueSnapshot();  // all of it, here
  return WriteSave(job);
}

base::Result<ProfileFold::SaveJob> ProfileFold::PrepareSave() {
  SaveJob job;
  using Ms = std::chrono::duration<double, std::milli>;
  auto at = std::chrono::steady_clock::now();
  // How long each step took, for the log.
  const auto step = [&job, &at](const char* name) {
    const auto now = std::chrono::steady_clock::now();
    job.steps +=
        fmt::format("{}{} {:.1f} ms", job.steps.empty() ? "" : ", ", name, Ms(now - at).count());
    at = now;
  };
  job.positions = consumer_->Positions();
  // The lake's clicks table reaches the snapshot's positions before the
  // snapshot is written.
  if (options_.clicks_lake) {
    PROMOREC_RETURN_IF_ERROR(options_.clicks_lake->FlushAll());
    step("lake");
  }
  if (stage_ != nullptr || dedup_) {
    // Decisions not yet in the ad log would be lost with a snapshot past
    // their events.
    if (stage_ != nullptr) {
      PROMOREC_RETURN_IF_ERROR(stage_->Flush());
      // The state names positions in the ad log and the examples, which
      // are synced on an interval: durable first.
      PROMOREC_RETURN_IF_ERROR(stage_->SyncLogs());
      step("logs synced");
    }
    if (dedup_) {
      PROMOREC_ASSIGN_OR_RETURN(job.dedup_manifest,
                                dedup_->Checkpoint(env_, state_dir_ + "/dedup"));
      step("dedup");
    }
    job.state = std::string();
    if (stage_ != nullptr) stage_->BeginSnapshot();
  }
  // The profiles and the stage's caps and decisions as they are now;
  // encoded by WriteSave while events go on being applied (copy on write:
  // profile_store.h, decision_stage.h).
  store_.BeginSnapshot();
  step("marks");
  return job;
}

base::Result<std::uint64_t> ProfileFold::WriteSave(SaveJob& job) {
  // Both encodings end their snapshots, so they come before anything that
  // may fail.
  if (job.state) {
    PipelineState state;
    state.positions = job.positions;
    state.dedup_manifest = job.dedup_manifest;
    // About the size of the last one: most of the regrowing is saved.
    job.state->reserve(last_state_bytes_ + last_state_bytes_ / 8);
    EncodePipelineState(
        state,
        [this](std::string* out) {
          if (stage_ != nullptr) stage_->EncodeBegunSnapshot(out);
        },
        &*job.state);
    last_state_bytes_ = job.state->size();
  }
  auto profiles = store_.EncodeBegunSnapshot(job.positions, &job.snapshot);
  if (!profiles) return std::unexpected(std::move(profiles).error());
  job.profiles = *profiles;
  if (job.state) PROMOREC_RETURN_IF_ERROR(SaveEncodedPipelineState(env_, state_dir_, *job.state));
  PROMOREC_RETURN_IF_ERROR(
      profile::ProfileStore::WriteSnapshot(env_, snapshot_path_, job.snapshot));
  if (dedup_) {
    if (auto s = DedupFilter::CollectGarbage(env_, state_dir_ + "/dedup", job.dedup_manifest); !s) {
      spdlog::warn("pipeline: dedup files: {}", s.error().ToString());
    }
  }
  eventlog::Stream& clicks = consumer_->stream();
  for (std::uint32_t shard = 0; shard < job.positions.size(); ++shard) {
    if (job.positions[shard] <= 1) continue;  // nothing folded in from this shard
    PROMOREC_RETURN_IF_ERROR(
        clicks.SaveCheckpoint(kProfileConsumer, shard, job.positions[shard] - 1));
  }
  return job.profiles;
}

ProfileFold::~ProfileFold() {
  if (consumer_) consumer_->Stop();
  FinishSnapshot();
}

void ProfileFold::FinishSnapshot() {
  if (!writer_.joinable()) return;
  // The writer may wait for the pending decisions, which the consumer
  // encodes between rounds: with the consumer stopped (or on its thread),
  // this thread finishes them.
  if (stage_ != nullptr) (void)stage_->ContinueSnapshot();
  writer_.join();
}

bool ProfileFold::SnapshotIfDue() {
  if (options_.clicks_lake && options_.clicks_lake->FlushIsDue()) {
    if (auto s = options_.clicks_lake->FlushDue(); !s) {
      spdlog::error("lake clicks: flush failed (retried): {}", s.error().ToString());
    }
  }
  if (options_.snapshot_interval_us <= 0) return false;
  // The previous snapshot is still being written: this one waits.
  if (writing_.load(std::memory_order_acquire)) return false;
  const std::int64_t now = clock_.MonotonicNanos();
  if (now - last_snapshot_nanos_ < options_.snapshot_interval_us * 1000) return false;
  last_snapshot_nanos_ = now;
  // The scans for expired profiles and caps run on the writer's thread
  // after the encoding (both stores lock themselves): the pipeline does
  // not wait for a pass over millions of shoppers.
  std::optional<std::int64_t> drop_before;
  if (options_.profile_ttl_us > 0 && newest_event_us_ > options_.profile_ttl_us) {
    // Every profile was last seen no earlier than the oldest one kept by
    // the last scan or an event applied since: when the cutoff is before
    // both, nothing can be dropped and the scan of every profile is skipped.
    const std::int64_t cutoff = newest_event_us_ - options_.profile_ttl_us;
    if (cutoff > std::min(oldest_kept_us_, oldest_since_drop_us_)) {
      drop_before = cutoff;
      oldest_since_drop_us_ = std::numeric_limits<std::int64_t>::max();
    }
  }
  const auto failed = [this](const base::Error& error) {
    failed_snapshots_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("profiles: cannot write the snapshot {}: {} (trying again in {} s)",
                  snapshot_path_, error.ToString(), options_.snapshot_interval_us / 1'000'000);
  };
  // The moment of the snapshot is marked here, between batches, where
  // nothing changes the state; it is encoded and the disk written on a
  // thread of its own while the pipeline goes on (the clicks checkpoint
  // moves only once the files are durable).
  using Ms = std::chrono::duration<double, std::milli>;
  // The last writer is done (writing_ is false): joined before this
  // snapshot begins, which FinishSnapshot would otherwise finish here.
  FinishSnapshot();
  const auto taking = std::chrono::steady_clock::now();
  auto job = PrepareSave();
  if (!job) {
    failed(job.error());
    return false;
  }
  job->drop_before_us = drop_before;
  job->prune_caps_at_us = stage_ != nullptr ? newest_event_us_ : 0;
  const auto taken = std::chrono::steady_clock::now();
  writing_.store(true, std::memory_order_release);
  writer_ = std::thread([this, job = std::move(*job), failed, took = Ms(taken - taking).count(),
                         taken]() mutable {
    base::SetThreadName("snapshot");
    if (auto written = WriteSave(job); !written) {
      failed(written.error());
    } else {
      snapshots_.fetch_add(1, std::memory_order_relaxed);
      spdlog::info(
          "profiles: snapshot of {} profiles ({} bytes, state {} bytes) marked in {:.1f} ms "
          "({}), encoded and written in {:.0f} ms",
          job.profiles, job.snapshot.size(), job.state ? job.state->size() : 0, took, job.steps,
          Ms(std::chrono::steady_clock::now() - taken).count());
    }
    if (job.drop_before_us) {
      expired_.fetch_add(store_.DropLastSeenBefore(*job.drop_before_us, &oldest_kept_us_),
                         std::memory_order_relaxed);
    }
    if (job.prune_caps_at_us != 0) {
      caps_pruned_.fetch_add(stage_->PruneCaps(job.prune_caps_at_us), std::memory_order_relaxed);
    }
    writing_.store(false, std::memory_order_release);
  });
  return true;
}

}  // namespace promorec::pipeline
