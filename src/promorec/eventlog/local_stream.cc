#include "promorec/eventlog/local_stream.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>

#include "promorec/base/logging.h"
#include "promorec/eventlog/checkpoint_file.h"
#include "promorec/eventlog/segment_format.h"

namespace promorec::eventlog {

std::string ShardDirName(std::uint32_t shard) {
  char name[24];
  std::snprintf(name, sizeof name, "shard-%04u", shard);
  return name;
}

base::Result<std::shared_ptr<LocalStream>> LocalStream::Open(base::Env& env, base::Clock& clock,
                                                             std::string dir,
                                                             RecoveryReport* report) {
  auto meta = ReadStreamMeta(env, dir);
  if (!meta) {
    if (meta.error().code() == base::Code::kCorruption) {
      report->Add(Finding{FindingKind::kBadMeta, dir + "/STREAM", 0, 0, meta.error().message()});
    }
    return std::unexpected(meta.error());
  }
  std::shared_ptr<LocalStream> stream(
      new LocalStream(env, clock, std::move(dir), std::move(*meta)));
  const StreamOptions& options = stream->meta_.options;
  for (std::uint32_t i = 0; i < options.shard_count; ++i) {
    ShardConfig config;
    config.dir = stream->dir_ + "/" + ShardDirName(i);
    config.stream_name = stream->meta_.name;
    config.shard = i;
    config.shard_count = options.shard_count;
    config.durability = options.durability;
    config.sync_interval_ms = options.sync_interval_ms;
    config.segment_bytes = options.segment_bytes;
    config.seal_age_us = options.retention_us / 10;
    PROMOREC_ASSIGN_OR_RETURN(auto shard, Shard::Open(env, clock, std::move(config), report));
    stream->shards_.push_back(std::move(shard));
  }
  return stream;
}

StreamOptions LocalStream::options() const {
  std::lock_guard lock(meta_mu_);
  return meta_.options;
}

base::Result<Shard*> LocalStream::ShardAt(std::uint32_t shard) {
  if (shard >= shards_.size()) {
    return base::NotFound("stream " + meta_.name + " has no shard " + std::to_string(shard) +
                          " (it has " + std::to_string(shards_.size()) + ")");
  }
  return shards_[shard].get();
}

namespace {

// The shard of each recently routed partition key, per thread and shard
// count: the MD5 of a key is the costliest step of routing a record, and
// producers repeat their keys (one user's events share the user id).
class ShardCache {
 public:
  std::uint32_t ShardFor(std::string_view key, std::uint32_t shard_count) {
    Entry& entry = entries_[std::hash<std::string_view>{}(key) % entries_.size()];
    if (entry.shard_count == shard_count && entry.key == key) return entry.shard;
    const std::uint32_t shard = ShardForHashKey(PartitionKeyHash(key), shard_count);
    if (key.size() <= kMaxCachedKeyBytes) {
      entry.key.assign(key);
      entry.shard_count = shard_count;
      entry.shard = shard;
    }
    return shard;
  }

 private:
  static constexpr std::size_t kMaxCachedKeyBytes = 64;
  struct Entry {
    std::string key;
    std::uint32_t shard_count = 0;  // 0: empty
    std::uint32_t shard = 0;
  };
  std::array<Entry, 512> entries_;
};

// One append's records grouped by shard, reused by the thread's appends:
// indices_[starts_[s] .. starts_[s + 1]) are the records of shard s.
struct Routing {
  std::vector<std::uint32_t> shard_of;
  std::vector<std::uint32_t> starts;
  std::vector<std::uint32_t> indices;
  std::vector<std::uint32_t> involved;  // shards with records, ascending
};

}  // namespace

base::Result<std::vector<PutResult>> LocalStream::Append(std::span<const PutRecord> records) {
  std::vector<PutResult> results(records.size());
  PROMOREC_RETURN_IF_ERROR(AppendInto(records, results));
  return results;
}

base::Status LocalStream::AppendInto(std::span<const PutRecord> records,
                                     std::span<PutResult> results) {
  if (results.size() != records.size()) {
    return base::InvalidArgument(
        "AppendInto needs one result per record: " + std::to_string(records.size()) + " records, " +
        std::to_string(results.size()) + " results");
  }
  thread_local ShardCache cache;
  thread_local Routing routing;
  const auto shard_count = static_cast<std::uint32_t>(shards_.size());
  routing.shard_of.resize(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const PutRecord& r = records[i];
    if (r.partition_key.empty() || r.partition_key.size() > kMaxPartitionKeyBytes) {
      return base::InvalidArgument("record " + std::to_string(i) + ": partition key must be 1 to " +
                                   std::to_string(kMaxPartitionKeyBytes) + " bytes, got " +
                                   std::to_string(r.partition_key.size()));
    }
    if (r.data.size() > kMaxRecordDataBytes) {
      return base::InvalidArgument("record " + std::to_string(i) + ": data is " +
                                   std::to_string(r.data.size()) + " bytes, the limit is " +
                                   std::to_string(kMaxRecordDataBytes));
    }
    routing.shard_of[i] = r.explicit_hash_key ? ShardForHashKey(*r.explicit_hash_key, shard_count)
                          : shard_count > 1   ? cache.ShardFor(r.partition_key, shard_count)
                                              : 0;
  }
  // A counting sort keeps each shard's records in input order.
  routing.starts.assign(shard_count + 1, 0);
  for (const std::uint32_t shard : routing.shard_of) ++routing.starts[shard + 1];
  routing.involved.clear();
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    if (routing.starts[s + 1] > 0) routing.involved.push_back(s);
    routing.starts[s + 1] += routing.starts[s];
  }
  routing.indices.resize(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    routing.indices[routing.starts[routing.shard_of[i]]++] = static_cast<std::uint32_t>(i);
  }
  // starts[s] now holds the end of shard s: shift back to the beginnings.
  for (std::uint32_t s = shard_count; s > 0; --s) routing.starts[s] = routing.starts[s - 1];
  routing.starts[0] = 0;
  base::Status status =
      AppendRouted(records, results, routing.indices, routing.starts, routing.involved);
  // Even a failed append may have made some shards' records visible. A
  // waiter checks under the lock, so passing through it before the
  // notification loses no wake-up.
  { const std::lock_guard lock(appended_mu_); }
  appended_cv_.notify_all();
  return status;
}

base::Status LocalStream::Sync() {
  for (const auto& shard : shards_) PROMOREC_RETURN_IF_ERROR(shard->Sync());
  return {};
}

void LocalStream::SyncDueShards() {
  for (const auto& shard : shards_) {
    if (shard->durability() == Durability::kInterval) (void)shard->SyncIfDue();
  }
}

base::Result<bool> LocalStream::WaitForRecords(std::span<const std::uint64_t> next_sequences,
                                               std::int64_t timeout_us) {
  if (next_sequences.size() != shards_.size()) {
    return base::InvalidArgument(
        "WaitForRecords needs one position per shard: " + std::to_string(next_sequences.size()) +
        " for " + std::to_string(shards_.size()) + " shards");
  }
  const auto has_records = [&] {
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      if (shards_[i]->LastVisibleSequence() >= std::max<std::uint64_t>(next_sequences[i], 1)) {
        return true;
      }
    }
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(std::max<std::int64_t>(0, timeout_us));
  std::unique_lock lock(appended_mu_);
  return appended_cv_.wait_until(lock, deadline, has_records);
}

base::Status LocalStream::AppendRouted(std::span<const PutRecord> records,
                                       std::span<PutResult> results,
                                       std::span<const std::uint32_t> indices,
                                       std::span<const std::uint32_t> starts,
                                       std::span<const std::uint32_t> involved) {
  const auto request_for = [&](std::uint32_t shard) {
    return AppendRequest{records, indices.subspan(starts[shard], starts[shard + 1] - starts[shard]),
                         results};
  };
  if (involved.size() > 1 && shards_[0]->durability() == Durability::kFsync) {
    // Each shard commits with its own fdatasync: run them side by side
    // rather than one after another. The tasks run on other threads, so
    // they reach the caller's thread_local buffer through a pointer.
    thread_local std::vector<base::Status> caller_statuses;
    std::vector<base::Status>* statuses = &caller_statuses;
    statuses->assign(involved.size(), base::Status());
    auto task = [&](std::size_t i) {
      (*statuses)[i] = shards_[involved[i]]->Append(request_for(involved[i]));
    };
    CommitHelpers().Run(involved.size(), task);
    for (base::Status& status : *statuses) PROMOREC_RETURN_IF_ERROR(status);
    return {};
  }
  for (const std::uint32_t s : involved)
    PROMOREC_RETURN_IF_ERROR(shards_[s]->Append(request_for(s)));
  return {};
}

CommitPool& LocalStream::CommitHelpers() {
  std::call_once(pool_once_, [this] {
    constexpr std::size_t kMaxHelpers = 16;
    pool_ = std::make_unique<CommitPool>(std::min<std::size_t>(shards_.size() - 1, kMaxHelpers));
  });
  return *pool_;
}

base::Result<std::uint64_t> LocalStream::Resolve(std::uint32_t shard, const IteratorSpec& spec) {
  PROMOREC_ASSIGN_OR_RETURN(Shard * s, ShardAt(shard));
  return s->Resolve(spec);
}

base::Result<ReadBatch> LocalStream::Read(std::uint32_t shard, std::uint64_t from_sequence,
                                          const ReadLimits& limits) {
  PROMOREC_ASSIGN_OR_RETURN(Shard * s, ShardAt(shard));
  return s->Read(from_sequence, limits);
}

base::Result<std::vector<ShardInfo>> LocalStream::DescribeShards() {
  std::vector<ShardInfo> out;
  for (const auto& shard : shards_) out.push_back(shard->Info());
  return out;
}

std::string LocalStream::CheckpointPath(std::string_view consumer, std::uint32_t shard) const {
  return dir_ + "/consumers/" + std::string(consumer) + "/" + ShardDirName(shard) + ".ckpt";
}

base::Status LocalStream::SaveCheckpoint(std::string_view consumer, std::uint32_t shard,
                                         std::uint64_t sequence) {
  PROMOREC_RETURN_IF_ERROR(ValidateStreamName(consumer));
  PROMOREC_RETURN_IF_ERROR(ShardAt(shard));
  const std::string dir = dir_ + "/consumers/" + std::string(consumer);
  PROMOREC_RETURN_IF_ERROR(env_.CreateDirs(dir));
  return WriteCheckpointFile(env_, CheckpointPath(consumer, shard),
                             Checkpoint{shard, sequence, clock_.NowMicros()});
}

base::Result<std::optional<std::uint64_t>> LocalStream::LoadCheckpoint(std::string_view consumer,
                                                                       std::uint32_t shard) {
  PROMOREC_RETURN_IF_ERROR(ValidateStreamName(consumer));
  PROMOREC_RETURN_IF_ERROR(ShardAt(shard));
  auto checkpoint = ReadCheckpointFile(env_, CheckpointPath(consumer, shard));
  if (!checkpoint) {
    if (checkpoint.error().code() == base::Code::kCorruption) {
      // Starting over is at-least-once; skipping ahead would lose records.
      spdlog::warn("{}; the consumer starts from the oldest record", checkpoint.error().ToString());
      return std::optional<std::uint64_t>();
    }
    return std::unexpected(checkpoint.error());
  }
  if (!*checkpoint) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>((*checkpoint)->sequence);
}

base::Result<std::vector<ConsumerCheckpoint>> LocalStream::ListCheckpoints() {
  std::vector<ConsumerCheckpoint> out;
  const std::string root = dir_ + "/consumers";
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env_.FileExists(root));
  if (!exists) return out;
  PROMOREC_ASSIGN_OR_RETURN(const auto consumers, env_.ListDir(root));
  for (const std::string& consumer : consumers) {
    for (std::uint32_t shard = 0; shard < shards_.size(); ++shard) {
      auto checkpoint = ReadCheckpointFile(env_, CheckpointPath(consumer, shard));
      if (!checkpoint || !*checkpoint) continue;
      out.push_back(
          ConsumerCheckpoint{consumer, shard, (*checkpoint)->sequence, (*checkpoint)->updated_us});
    }
  }
  return out;
}

base::Status LocalStream::SetRetention(std::int64_t retention_us) {
  std::lock_guard lock(meta_mu_);
  StreamMeta updated = meta_;
  updated.options.retention_us = retention_us;
  PROMOREC_RETURN_IF_ERROR(updated.options.Validate());
  PROMOREC_RETURN_IF_ERROR(WriteStreamMeta(env_, dir_, updated));
  meta_ = std::move(updated);
  return {};
}

base::Result<RetentionResult> LocalStream::EnforceRetention() {
  std::lock_guard guard(retention_mu_);
  const StreamOptions opts = options();
  const std::int64_t cutoff = clock_.NowMicros() - opts.retention_us;
  // The lowest checkpoint of any registered consumer per shard: records
  // after it are still owed to that consumer. A consumer without a
  // checkpoint for a shard is owed the whole shard.
  std::vector<std::optional<std::uint64_t>> owed(shards_.size());
  const std::string consumers = dir_ + "/consumers";
  PROMOREC_ASSIGN_OR_RETURN(const bool has_consumers, env_.FileExists(consumers));
  if (has_consumers) {
    PROMOREC_ASSIGN_OR_RETURN(const auto names, env_.ListDir(consumers));
    for (const std::string& consumer : names) {
      for (std::uint32_t s = 0; s < shards_.size(); ++s) {
        auto checkpoint = ReadCheckpointFile(env_, CheckpointPath(consumer, s));
        const std::uint64_t at = checkpoint && *checkpoint ? (*checkpoint)->sequence : 0;
        owed[s] = owed[s] ? std::min(*owed[s], at) : at;
      }
    }
  }
  RetentionResult result;
  for (std::uint32_t s = 0; s < shards_.size(); ++s) {
    for (const SealedSegment& segment : shards_[s]->SealedSegments()) {
      if (segment.last_arrival_us >= cutoff) break;
      if (owed[s] && *owed[s] < segment.last_sequence) break;
      PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t freed,
                                shards_[s]->DeleteOldestSegment(segment.first_sequence));
      if (freed == 0) break;
      ++result.segments_deleted;
      result.bytes_deleted += freed;
    }
  }
  if (opts.retention_bytes == 0) return result;
  std::uint64_t total = 0;
  for (const auto& shard : shards_) total += shard->TotalBytes();
  while (total > opts.retention_bytes) {
    // The oldest sealed segment of the whole stream goes first.
    std::optional<std::pair<std::uint32_t, SealedSegment>> oldest;
    for (std::uint32_t s = 0; s < shards_.size(); ++s) {
      const auto sealed = shards_[s]->SealedSegments();
      if (sealed.empty()) continue;
      if (!oldest || sealed.front().first_arrival_us < oldest->second.first_arrival_us) {
        oldest = {s, sealed.front()};
      }
    }
    if (!oldest) break;
    const auto& [s, segment] = *oldest;
    PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t freed,
                              shards_[s]->DeleteOldestSegment(segment.first_sequence));
    if (freed == 0) break;
    if (owed[s] && *owed[s] < segment.last_sequence) {
      ++result.forced_deletions;
      spdlog::warn(
          "stream {} shard {}: size limit deleted records {}..{} that a consumer has not "
          "checkpointed past",
          meta_.name, s, segment.first_sequence, segment.last_sequence);
    }
    ++result.segments_deleted;
    result.bytes_deleted += freed;
    total -= std::min(total, freed);
  }
  return result;
}

}  // namespace promorec::eventlog
