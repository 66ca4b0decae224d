#include "promorec/app/serve_profiles.h"

#include <vector>

#include "promorec/event/binary_record.h"

namespace promorec::app {

base::Result<std::unique_ptr<ServeProfiles>> ServeProfiles::Open(
    base::Env& env, const std::string& data_dir, std::shared_ptr<eventlog::Stream> clicks) {
  std::unique_ptr<ServeProfiles> profiles(
      new ServeProfiles(env, data_dir + "/profiles/snapshot", std::move(clicks)));
  PROMOREC_ASSIGN_OR_RETURN(const bool has_snapshot, env.FileExists(profiles->snapshot_path_));
  std::vector<std::uint64_t> positions;
  if (has_snapshot) {
    auto loaded = profiles->store_.Load(env, profiles->snapshot_path_);
    if (!loaded) {
      return std::unexpected(std::move(loaded).error().WithContext(
          "cannot load the profiles (delete the snapshot to rebuild them from the clicks "
          "stream)"));
    }
    profiles->startup_.had_snapshot = true;
    profiles->startup_.from_snapshot = loaded->profiles;
    positions = std::move(loaded->positions);
  }
  PROMOREC_RETURN_IF_ERROR(profiles->Replay(positions));
  return profiles;
}

base::Status ServeProfiles::Replay(std::span<const std::uint64_t> positions) {
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, clicks_->DescribeShards());
  if (startup_.had_snapshot && positions.size() != shards.size()) {
    return base::FailedPrecondition(
        snapshot_path_ + " covers " + std::to_string(positions.size()) +
        " shards of the clicks stream, which has " + std::to_string(shards.size()) +
        " (delete the snapshot to rebuild the profiles from the stream)");
  }
  event::ClickEvent event;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const std::uint32_t shard = shards[i].shard;
    std::uint64_t next = 0;
    if (startup_.had_snapshot) {
      next = positions[i];
    } else {
      PROMOREC_ASSIGN_OR_RETURN(next, clicks_->Resolve(shard, eventlog::IteratorSpec{}));
    }
    while (true) {
      PROMOREC_ASSIGN_OR_RETURN(const eventlog::ReadBatch batch,
                                clicks_->Read(shard, next, eventlog::ReadLimits{}));
      if (batch.records.empty()) break;
      for (const eventlog::RecordView& record : batch.records) {
        if (event::DecodeBinaryRecord(record.data, &event) && store_.Apply(event)) {
          ++startup_.replayed;
        } else {
          ++startup_.skipped;
        }
      }
      next = batch.next_sequence;
    }
  }
  return {};
}

std::string ServeProfiles::Summary() const {
  std::string out = "profiles: " + std::to_string(store_.size()) + " users (";
  out += startup_.had_snapshot ? std::to_string(startup_.from_snapshot) + " from " + snapshot_path_
                               : "no snapshot";
  out += ", " + std::to_string(startup_.replayed) + " events replayed from the clicks stream";
  if (startup_.skipped > 0) {
    out += ", " + std::to_string(startup_.skipped) + " records that are not events skipped";
  }
  return out + ")";
}

void ServeProfiles::Apply(std::span<const event::ClickEvent> events) {
  for (const event::ClickEvent& e : events) store_.Apply(e);
}

base::Result<std::uint64_t> ServeProfiles::Save() {
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, clicks_->DescribeShards());
  std::vector<std::uint64_t> positions;
  for (const eventlog::ShardInfo& info : shards) {
    PROMOREC_ASSIGN_OR_RETURN(
        const std::uint64_t end,
        clicks_->Resolve(info.shard,
                         eventlog::IteratorSpec{eventlog::IteratorType::kLatest, 0, 0}));
    positions.push_back(end);
  }
  return store_.Snapshot(env_, snapshot_path_, positions);
}

}  // namespace promorec::app
