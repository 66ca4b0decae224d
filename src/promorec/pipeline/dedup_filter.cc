#include "promorec/pipeline/dedup_filter.h"

#include <cstdlib>
#include <utility>

#include "promorec/base/hash.h"

namespace promorec::pipeline {
namespace {

// ASCII "dedup_fp"; part of the format (docs/formats/dedup.md).
constexpr std::uint64_t kFingerprintSeed = 0x64656475705f6670ull;

}  // namespace

std::uint64_t DedupFingerprint(std::string_view event_id) {
  const std::uint64_t fp = base::Hash64(event_id, kFingerprintSeed);
  return fp == 0 ? 1 : fp;
}

base::Result<std::unique_ptr<DedupFilter>> DedupFilter::Create(const DedupOptions& options) {
  if (options.window_us < 1 || options.window_us > kMaxWindowUs) {
    return base::InvalidArgument("dedup window " + std::to_string(options.window_us) +
                                 " us is not in 1.." + std::to_string(kMaxWindowUs));
  }
  if (options.bucket_count < 1 || options.bucket_count > kMaxBucketCount) {
    return base::InvalidArgument("dedup bucket count " + std::to_string(options.bucket_count) +
                                 " is not in 1.." + std::to_string(kMaxBucketCount));
  }
  if (options.shard_count < 1 || options.shard_count > kMaxDedupShards) {
    return base::InvalidArgument("dedup shard count " + std::to_string(options.shard_count) +
                                 " is not in 1.." + std::to_string(kMaxDedupShards));
  }
  if (options.max_bytes / options.shard_count < kMinShardBytes) {
    return base::InvalidArgument("dedup max_bytes " + std::to_string(options.max_bytes) +
                                 " leaves under " + std::to_string(kMinShardBytes) +
                                 " bytes for each of " + std::to_string(options.shard_count) +
                                 " shards");
  }
  const std::int64_t buckets = options.bucket_count;
  const std::int64_t bucket_us = (options.window_us + buckets - 1) / buckets;
  return std::unique_ptr<DedupFilter>(new DedupFilter(options, bucket_us));
}

DedupFilter::DedupFilter(const DedupOptions& options, std::int64_t bucket_us)
    : options_(options),
      bucket_us_(bucket_us),
      shard_budget_(options.max_bytes / options.shard_count),
      shards_(options.shard_count) {
  for (Shard& shard : shards_) {
    shard.bytes = sizeof(Shard);
    // Sealing in the steady state then never reallocates the list.
    shard.sealed.reserve(options.bucket_count + 2);
  }
}

DedupFilter::~DedupFilter() = default;

std::int64_t DedupFilter::BucketOf(std::int64_t time_us) const {
  std::int64_t q = time_us / bucket_us_;
  if (time_us % bucket_us_ < 0) --q;  // floor, also before the epoch
  return q;
}

void DedupFilter::DropOldestSealed(Shard& shard) {
  Segment& oldest = shard.sealed.front();
  shard.bytes -= oldest.table.bytes() + sizeof(Segment);
  shard.ids -= oldest.table.size();
  shard.sealed.erase(shard.sealed.begin());
}

bool DedupFilter::MakeRoom(Shard& shard, std::uint64_t extra) {
  while (shard.bytes + extra > shard_budget_ && !shard.sealed.empty()) {
    shard.evicted_early += shard.sealed.front().table.size();
    DropOldestSealed(shard);
  }
  return shard.bytes + extra <= shard_budget_;
}

void DedupFilter::NewOpenTable(Shard& shard) {
  shard.bytes -= shard.open.bytes();
  shard.ids -= shard.open.size();
  shard.open = FingerprintTable();
  // Always fits: the share is at least kMinShardBytes, far above an empty
  // table, once every sealed segment is gone.
  (void)MakeRoom(shard, FingerprintTable::EmptySlots(kOpenInitialHomeSlots) * 8);
  shard.open = FingerprintTable::WithHomeSlots(kOpenInitialHomeSlots);
  shard.bytes += shard.open.bytes();
  shard.open_written_by = 0;
}

void DedupFilter::SealOpen(Shard& shard) {
  if (shard.open.size() == 0) return;
  const std::uint64_t before = shard.open.bytes();
  shard.open.Reshape(SealedHomeSlots(shard.open.size()));  // in place: shrinks
  Segment segment;
  segment.id = shard.next_segment_id++;
  segment.bucket = shard.open_bucket;
  segment.table = std::move(shard.open);
  shard.bytes = shard.bytes - before + segment.table.bytes() + sizeof(Segment);
  shard.sealed.push_back(std::move(segment));
  NewOpenTable(shard);
}

void DedupFilter::Advance(Shard& shard, std::int64_t arrival_us) {
  if (!shard.has_time) [[unlikely]] {
    shard.has_time = true;
    shard.newest_us = arrival_us;
    shard.open_bucket = BucketOf(arrival_us);
    NewOpenTable(shard);
    return;
  }
  if (arrival_us <= shard.newest_us) return;
  shard.newest_us = arrival_us;
  const std::int64_t bucket = BucketOf(arrival_us);
  if (bucket == shard.open_bucket) [[likely]]
    return;
  // Buckets only move forward, so these differences are not negative;
  // unsigned arithmetic keeps them exact over the whole int64 range.
  const auto age = [&](std::int64_t old) {
    return static_cast<std::uint64_t>(bucket) - static_cast<std::uint64_t>(old);
  };
  if (age(shard.open_bucket) > options_.bucket_count) {
    shard.expired += shard.open.size();
    if (shard.open.size() != 0) NewOpenTable(shard);
  } else {
    SealOpen(shard);
  }
  shard.open_bucket = bucket;
  while (!shard.sealed.empty() && age(shard.sealed.front().bucket) > options_.bucket_count) {
    shard.expired += shard.sealed.front().table.size();
    DropOldestSealed(shard);
  }
}

void DedupFilter::PrepareInsert(Shard& shard) {
  FingerprintTable& open = shard.open;
  if ((open.size() + 1) * 100 <= open.home_slots() * kOpenMaxLoadPercent) [[likely]]
    return;
  const std::uint64_t doubled = open.home_slots() * 2;
  // The new array exists next to the old one while the entries move over.
  if (MakeRoom(shard, open.SlotsWithHomeSlots(doubled) * 8)) {
    const std::uint64_t before = open.bytes();
    open.Reshape(doubled);
    shard.bytes = shard.bytes - before + open.bytes();
    return;
  }
  // The open table alone leaves no room to double: seal it as it is (that
  // shrinks it) and go on in a new one; the oldest ids go first from here.
  SealOpen(shard);
}

void DedupFilter::EnforceBound(Shard& shard) {
  if (MakeRoom(shard, 0)) return;
  SealOpen(shard);
  (void)MakeRoom(shard, 0);
}

bool DedupFilter::SeenFingerprint(std::uint32_t shard_index, std::uint64_t fp,
                                  std::int64_t arrival_us) {
  if (shard_index >= shards_.size()) [[unlikely]]
    std::abort();
  Shard& shard = shards_[shard_index];
  Advance(shard, arrival_us);
  for (const Segment& segment : shard.sealed) segment.table.Prefetch(fp);
  if (shard.open.Contains(fp)) {
    ++shard.duplicates;
    return true;
  }
  for (auto it = shard.sealed.rbegin(); it != shard.sealed.rend(); ++it) {
    if (it->table.Contains(fp)) {
      ++shard.duplicates;
      return true;
    }
  }
  PrepareInsert(shard);
  const std::uint64_t before = shard.open.bytes();
  shard.open.Insert(fp);
  ++shard.ids;
  ++shard.recorded;
  if (shard.open.bytes() != before) [[unlikely]] {
    shard.bytes = shard.bytes - before + shard.open.bytes();
    if (shard.bytes > shard_budget_) EnforceBound(shard);
  }
  return false;
}

DedupStats DedupFilter::ShardStats(std::uint32_t shard_index) const {
  const Shard& shard = shards_.at(shard_index);
  DedupStats stats;
  stats.duplicates = shard.duplicates;
  stats.recorded = shard.recorded;
  stats.ids_held = shard.ids;
  stats.bytes_held = shard.bytes;
  stats.evicted_early = shard.evicted_early;
  stats.expired = shard.expired;
  stats.segments = shard.sealed.size();
  return stats;
}

DedupStats DedupFilter::Stats() const {
  DedupStats total;
  for (std::uint32_t i = 0; i < shards_.size(); ++i) {
    const DedupStats s = ShardStats(i);
    total.duplicates += s.duplicates;
    total.recorded += s.recorded;
    total.ids_held += s.ids_held;
    total.bytes_held += s.bytes_held;
    total.evicted_early += s.evicted_early;
    total.expired += s.expired;
    total.segments += s.segments;
  }
  return total;
}

}  // namespace promorec::pipeline
