#include "promorec/pipeline/profile_fold.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

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
                             (void)self->SnapshotIfDue();
                           }));
  PROMOREC_RETURN_IF_ERROR(fold->consumer_->CatchUp());
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
    if (applied) newest_event_us_ = std::max(newest_event_us_, event_.timestamp_us);
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
  const std::vector<std::uint64_t> positions = consumer_->Positions();
  // The lake's clicks table reaches the snapshot's positions before the
  // snapshot is written.
  if (options_.clicks_lake) PROMOREC_RETURN_IF_ERROR(options_.clicks_lake->FlushAll());
  std::string dedup_manifest;
  if (stage_ != nullptr || dedup_) {
    // Decisions not yet in the ad log would be lost with a snapshot past
    // their events.
    if (stage_ != nullptr) PROMOREC_RETURN_IF_ERROR(stage_->Flush());
    PipelineState state;
    state.positions = positions;
    if (dedup_) {
      PROMOREC_ASSIGN_OR_RETURN(dedup_manifest, dedup_->Checkpoint(env_, state_dir_ + "/dedup"));
      state.dedup_manifest = dedup_manifest;
    }
    if (stage_ != nullptr) stage_->Encode(&state.stage);
    PROMOREC_RETURN_IF_ERROR(SavePipelineState(env_, state_dir_, state));
  }
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t written,
                            store_.Snapshot(env_, snapshot_path_, positions));
  if (dedup_) {
    if (auto s = DedupFilter::CollectGarbage(env_, state_dir_ + "/dedup", dedup_manifest); !s) {
      spdlog::warn("pipeline: dedup files: {}", s.error().ToString());
    }
  }
  eventlog::Stream& clicks = consumer_->stream();
  for (std::uint32_t shard = 0; shard < positions.size(); ++shard) {
    if (positions[shard] <= 1) continue;  // nothing folded in from this shard
    PROMOREC_RETURN_IF_ERROR(clicks.SaveCheckpoint(kProfileConsumer, shard, positions[shard] - 1));
  }
  return written;
}

bool ProfileFold::SnapshotIfDue() {
  if (options_.clicks_lake && options_.clicks_lake->FlushIsDue()) {
    if (auto s = options_.clicks_lake->FlushDue(); !s) {
      spdlog::error("lake clicks: flush failed (retried): {}", s.error().ToString());
    }
  }
  if (options_.snapshot_interval_us <= 0) return false;
  const std::int64_t now = clock_.MonotonicNanos();
  if (now - last_snapshot_nanos_ < options_.snapshot_interval_us * 1000) return false;
  last_snapshot_nanos_ = now;
  if (options_.profile_ttl_us > 0 && newest_event_us_ > options_.profile_ttl_us) {
    expired_.fetch_add(store_.DropLastSeenBefore(newest_event_us_ - options_.profile_ttl_us),
                       std::memory_order_relaxed);
  }
  if (auto saved = Save(); !saved) {
    failed_snapshots_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("profiles: cannot write the snapshot {}: {} (trying again in {} s)",
                  snapshot_path_, saved.error().ToString(),
                  options_.snapshot_interval_us / 1'000'000);
    return false;
  }
  snapshots_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace promorec::pipeline
