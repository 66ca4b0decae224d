#include "promorec/pipeline/profile_fold.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "promorec/event/binary_record.h"

namespace promorec::pipeline {

base::Result<std::unique_ptr<ProfileFold>> ProfileFold::Open(
    base::Env& env, const base::Clock& clock, const std::string& data_dir,
    std::shared_ptr<eventlog::Stream> clicks, ProfileFoldOptions options) {
  std::unique_ptr<ProfileFold> fold(
      new ProfileFold(env, clock, data_dir + "/profiles/snapshot", options));
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
  ProfileFold* self = fold.get();
  PROMOREC_ASSIGN_OR_RETURN(
      fold->consumer_,
      StreamConsumer::Create(
          std::string(kProfileConsumer), std::move(clicks), std::move(positions),
          [self](std::uint32_t, const eventlog::ReadBatch& batch) { self->Apply(batch); },
          [self] { (void)self->SnapshotIfDue(); }));
  PROMOREC_RETURN_IF_ERROR(fold->consumer_->CatchUp());
  // Start's thread creation orders this before the consumer thread's reads.
  fold->replaying_ = false;
  fold->last_snapshot_nanos_ = clock.MonotonicNanos();
  return fold;
}

void ProfileFold::Apply(const eventlog::ReadBatch& batch) {
  for (const eventlog::RecordView& record : batch.records) {
    // Only the ingest writer fills the clicks stream, with validated events.
    const bool applied =
        event::DecodeValidatedBinaryRecord(record.data, &event_) && store_.Apply(event_);
    if (applied) newest_event_us_ = std::max(newest_event_us_, event_.timestamp_us);
    if (!replaying_) continue;
    if (applied) {
      ++startup_.replayed;
    } else {
      ++startup_.skipped;
    }
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
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t written,
                            store_.Snapshot(env_, snapshot_path_, positions));
  eventlog::Stream& clicks = consumer_->stream();
  for (std::uint32_t shard = 0; shard < positions.size(); ++shard) {
    if (positions[shard] <= 1) continue;  // nothing folded in from this shard
    PROMOREC_RETURN_IF_ERROR(clicks.SaveCheckpoint(kProfileConsumer, shard, positions[shard] - 1));
  }
  return written;
}

bool ProfileFold::SnapshotIfDue() {
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
