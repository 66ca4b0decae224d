#include "promorec/eventlog/stream.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace promorec::eventlog {

std::string_view DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kFsync:
      return "fsync";
    case Durability::kInterval:
      return "interval";
    case Durability::kNone:
      return "none";
  }
  return "unknown";
}

base::Result<Durability> ParseDurability(std::string_view name) {
  if (name == "fsync") return Durability::kFsync;
  if (name == "interval") return Durability::kInterval;
  if (name == "none") return Durability::kNone;
  return base::InvalidArgument("durability '" + std::string(name) +
                               "' is not one of fsync, interval, none");
}

base::Status Stream::AppendInto(std::span<const PutRecord> records, std::span<PutResult> results) {
  if (results.size() != records.size()) {
    return base::InvalidArgument(
        "AppendInto needs one result per record: " + std::to_string(records.size()) + " records, " +
        std::to_string(results.size()) + " results");
  }
  PROMOREC_ASSIGN_OR_RETURN(const std::vector<PutResult> appended, Append(records));
  std::copy(appended.begin(), appended.end(), results.begin());
  return {};
}

base::Result<bool> Stream::WaitForRecords(std::span<const std::uint64_t> next_sequences,
                                          std::int64_t timeout_us) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(std::max<std::int64_t>(0, timeout_us));
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const std::vector<ShardInfo> shards, DescribeShards());
    if (shards.size() != next_sequences.size()) {
      return base::InvalidArgument(
          "WaitForRecords needs one position per shard: " + std::to_string(next_sequences.size()) +
          " for " + std::to_string(shards.size()) + " shards");
    }
    for (std::size_t i = 0; i < shards.size(); ++i) {
      if (shards[i].last_sequence >= std::max<std::uint64_t>(next_sequences[i], 1)) return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(10)));
  }
}

base::Status StreamOptions::Validate() const {
  if (shard_count < 1 || shard_count > 1024) {
    return base::InvalidArgument("shard count " + std::to_string(shard_count) +
                                 " is outside 1..1024");
  }
  if (retention_us < kMinRetentionMicros || retention_us > kMaxRetentionMicros) {
    return base::InvalidArgument("retention of " + std::to_string(retention_us / kHourMicros) +
                                 " hours is outside 24 hours .. 365 days");
  }
  if (durability == Durability::kInterval && (sync_interval_ms < 1 || sync_interval_ms > 60'000)) {
    return base::InvalidArgument("sync interval " + std::to_string(sync_interval_ms) +
                                 " ms is outside 1..60000");
  }
  if (segment_bytes < (1u << 16) || segment_bytes > (1ull << 40)) {
    return base::InvalidArgument("segment size " + std::to_string(segment_bytes) +
                                 " is outside 64 KiB .. 1 TiB");
  }
  return {};
}

base::Status ValidateStreamName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return base::InvalidArgument("name '" + std::string(name) + "' must be 1 to 128 characters");
  }
  if (name.front() == '.') {
    return base::InvalidArgument("name '" + std::string(name) + "' must not start with '.'");
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) {
      return base::InvalidArgument("name '" + std::string(name) +
                                   "' may hold only letters, digits, '_', '.' and '-'");
    }
  }
  return {};
}

}  // namespace promorec::eventlog
