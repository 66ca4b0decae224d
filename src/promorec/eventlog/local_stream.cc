#include "promorec/eventlog/local_stream.h"

#include <algorithm>
#include <cstdio>
#include <future>

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

base::Result<std::vector<PutResult>> LocalStream::Append(std::span<const PutRecord> records) {
  const auto shard_count = static_cast<std::uint32_t>(shards_.size());
  std::vector<std::vector<std::uint32_t>> by_shard(shard_count);
  std::optional<std::string_view> last_key;
  std::uint32_t last_shard = 0;
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
    std::uint32_t shard = 0;
    if (r.explicit_hash_key) {
      shard = ShardForHashKey(*r.explicit_hash_key, shard_count);
    } else if (shard_count > 1) {
      // Batches often repeat a key (one user's events): hash it once.
      if (!last_key || *last_key != r.partition_key) {
        last_key = r.partition_key;
        last_shard = ShardForHashKey(PartitionKeyHash(r.partition_key), shard_count);
      }
      shard = last_shard;
    }
    by_shard[shard].push_back(static_cast<std::uint32_t>(i));
  }
  std::vector<PutResult> results(records.size());
  std::vector<std::uint32_t> involved;
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    if (!by_shard[s].empty()) involved.push_back(s);
  }
  if (involved.size() > 1 && shards_[0]->durability() == Durability::kFsync) {
    // Each shard commits with its own fdatasync: run them side by side
    // rather than one after another.
    std::vector<std::future<base::Status>> others;
    for (std::size_t i = 1; i < involved.size(); ++i) {
      const std::uint32_t s = involved[i];
      others.push_back(std::async(std::launch::async, [&, s] {
        return shards_[s]->Append(AppendRequest{records, by_shard[s], results});
      }));
    }
    const std::uint32_t s0 = involved[0];
    base::Status status = shards_[s0]->Append(AppendRequest{records, by_shard[s0], results});
    for (auto& other : others) {
      base::Status result = other.get();
      if (status && !result) status = std::move(result);
    }
    PROMOREC_RETURN_IF_ERROR(status);
    return results;
  }
  for (const std::uint32_t s : involved) {
    PROMOREC_RETURN_IF_ERROR(shards_[s]->Append(AppendRequest{records, by_shard[s], results}));
  }
  return results;
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
