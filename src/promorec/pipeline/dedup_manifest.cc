// The manifest half of dedup_format.h, and the segment file names.
#include <charconv>
#include <cstdio>

#include "promorec/base/crc32c.h"
#include "promorec/pipeline/dedup_format.h"
#include "promorec/pipeline/dedup_io.h"
#include "promorec/pipeline/dedup_table.h"

namespace promorec::pipeline {
namespace {

using dedup_io::Bad;
using dedup_io::ChecksumMismatch;
using dedup_io::GetU32;
using dedup_io::GetU64;
using dedup_io::PutU32;
using dedup_io::PutU64;
using dedup_io::VersionError;

constexpr std::uint32_t kHasTime = 1;
constexpr std::uint32_t kHasOpen = 2;

void PutEntry(const ManifestSegment& entry, std::string* out) {
  PutU64(out, entry.segment_id);
  PutU64(out, static_cast<std::uint64_t>(entry.bucket));
  PutU64(out, entry.count);
  PutU64(out, entry.home_slots);
  PutU64(out, entry.slots);
  PutU64(out, entry.written_by);
  PutU32(out, entry.data_crc);
  PutU32(out, 0);
}

ManifestSegment GetEntry(const char* p) {
  ManifestSegment entry;
  entry.segment_id = GetU64(p);
  entry.bucket = static_cast<std::int64_t>(GetU64(p + 8));
  entry.count = GetU64(p + 16);
  entry.home_slots = GetU64(p + 24);
  entry.slots = GetU64(p + 32);
  entry.written_by = GetU64(p + 40);
  entry.data_crc = GetU32(p + 48);
  return entry;
}

// The largest array a segment of `count` fingerprints can need: every
// entry pushed past the last home slot.
std::uint64_t MaxSlots(std::uint64_t count, std::uint64_t home_slots) {
  return FingerprintTable::EmptySlots(home_slots + count);
}

class ManifestParser {
 public:
  ManifestParser(std::string_view bytes, std::string_view source)
      : bytes_(bytes), source_(source), end_(bytes.size() - 4) {}

  base::Result<Manifest> Parse() {
    const char* p = bytes_.data();
    Manifest manifest;
    const std::uint32_t shard_count = GetU32(p + 12);
    manifest.checkpoint = GetU64(p + 16);
    manifest.window_us = static_cast<std::int64_t>(GetU64(p + 24));
    manifest.bucket_count = GetU32(p + 32);
    manifest.max_bytes = GetU64(p + 40);
    constexpr std::string_view kHeader = "header";
    if (shard_count == 0 || shard_count > kMaxDedupShards) {
      return Bad(source_, kHeader,
                 "shard count " + std::to_string(shard_count) + " is not in 1.." +
                     std::to_string(kMaxDedupShards));
    }
    if (manifest.checkpoint == 0) return Bad(source_, kHeader, "checkpoint number is 0");
    if (manifest.window_us < 1 || manifest.window_us > kMaxWindowUs) {
      return Bad(source_, kHeader,
                 "window " + std::to_string(manifest.window_us) + " us is not in 1.." +
                     std::to_string(kMaxWindowUs));
    }
    if (manifest.bucket_count == 0 || manifest.bucket_count > kMaxBucketCount) {
      return Bad(source_, kHeader,
                 "bucket count " + std::to_string(manifest.bucket_count) + " is not in 1.." +
                     std::to_string(kMaxBucketCount));
    }
    if (GetU32(p + 36) != 0) return Bad(source_, kHeader, "bytes [36, 40) are not zero");
    at_ = kManifestHeaderBytes;
    manifest.shards.resize(shard_count);
    for (std::uint32_t i = 0; i < shard_count; ++i) {
      PROMOREC_RETURN_IF_ERROR(ParseShard(manifest, i, &manifest.shards[i]));
    }
    if (at_ != end_) {
      return Bad(source_, "", std::to_string(end_ - at_) + " bytes follow the last shard record");
    }
    return manifest;
  }

 private:
  base::Status Need(std::size_t n) {
    if (end_ - at_ >= n) return base::OkStatus();
    return Bad(source_, "",
               "cut off at byte " + std::to_string(at_) + ": needs " + std::to_string(n) +
                   " bytes, " + std::to_string(end_ - at_) + " left");
  }

  base::Status ParseShard(const Manifest& manifest, std::uint32_t index, ManifestShard* shard) {
    PROMOREC_RETURN_IF_ERROR(Need(kManifestShardBytes));
    const std::string where = "shard " + std::to_string(index) + " at byte " + std::to_string(at_);
    const char* p = bytes_.data() + at_;
    const std::uint32_t stored_index = GetU32(p);
    const std::uint32_t flags = GetU32(p + 4);
    const std::uint32_t sealed_count = GetU32(p + 8);
    shard->has_time = (flags & kHasTime) != 0;
    shard->newest_us = static_cast<std::int64_t>(GetU64(p + 16));
    shard->open_bucket = static_cast<std::int64_t>(GetU64(p + 24));
    shard->next_segment_id = GetU64(p + 32);
    shard->duplicates = GetU64(p + 40);
    shard->recorded = GetU64(p + 48);
    shard->evicted_early = GetU64(p + 56);
    shard->expired = GetU64(p + 64);
    if (stored_index != index) {
      return Bad(source_, where, "says it is shard " + std::to_string(stored_index));
    }
    if ((flags & ~(kHasTime | kHasOpen)) != 0) {
      return Bad(source_, where, "unknown flags " + std::to_string(flags));
    }
    if (GetU32(p + 12) != 0) return Bad(source_, where, "bytes [12, 16) are not zero");
    if (sealed_count > kMaxSealedSegmentsPerShard) {
      return Bad(source_, where,
                 "sealed segment count " + std::to_string(sealed_count) + " is over the limit of " +
                     std::to_string(kMaxSealedSegmentsPerShard));
    }
    if (!shard->has_time && ((flags & kHasOpen) != 0 || sealed_count != 0 ||
                             shard->newest_us != 0 || shard->open_bucket != 0)) {
      return Bad(source_, where, "has no time but has segments or a clock");
    }
    at_ += kManifestShardBytes;
    if ((flags & kHasOpen) != 0) {
      PROMOREC_RETURN_IF_ERROR(Need(kManifestEntryBytes));
      const std::string entry_where =
          "shard " + std::to_string(index) + " open segment at byte " + std::to_string(at_);
      ManifestSegment entry = GetEntry(bytes_.data() + at_);
      PROMOREC_RETURN_IF_ERROR(CheckEntry(manifest, entry, true, entry_where));
      if (entry.segment_id != shard->next_segment_id) {
        return Bad(source_, entry_where,
                   "segment id " + std::to_string(entry.segment_id) +
                       " is not the next segment id " + std::to_string(shard->next_segment_id));
      }
      if (entry.bucket != shard->open_bucket) {
        return Bad(source_, entry_where,
                   "bucket " + std::to_string(entry.bucket) + " is not the open bucket " +
                       std::to_string(shard->open_bucket));
      }
      shard->open = entry;
      at_ += kManifestEntryBytes;
    }
    shard->sealed.reserve(sealed_count);
    for (std::uint32_t j = 0; j < sealed_count; ++j) {
      PROMOREC_RETURN_IF_ERROR(Need(kManifestEntryBytes));
      const std::string entry_where = "shard " + std::to_string(index) + " segment " +
                                      std::to_string(j) + " at byte " + std::to_string(at_);
      ManifestSegment entry = GetEntry(bytes_.data() + at_);
      PROMOREC_RETURN_IF_ERROR(CheckEntry(manifest, entry, false, entry_where));
      if (!shard->sealed.empty() && entry.segment_id <= shard->sealed.back().segment_id) {
        return Bad(
            source_, entry_where,
            "segment id " + std::to_string(entry.segment_id) + " is not above the one before");
      }
      if (entry.segment_id >= shard->next_segment_id) {
        return Bad(source_, entry_where,
                   "segment id " + std::to_string(entry.segment_id) +
                       " is not below the next segment id " +
                       std::to_string(shard->next_segment_id));
      }
      if (!shard->sealed.empty() && entry.bucket < shard->sealed.back().bucket) {
        return Bad(source_, entry_where,
                   "bucket " + std::to_string(entry.bucket) + " is before the one before");
      }
      if (entry.bucket > shard->open_bucket || static_cast<std::uint64_t>(shard->open_bucket) -
                                                       static_cast<std::uint64_t>(entry.bucket) >
                                                   manifest.bucket_count) {
        return Bad(source_, entry_where,
                   "bucket " + std::to_string(entry.bucket) +
                       " is not within the window of the open bucket " +
                       std::to_string(shard->open_bucket));
      }
      shard->sealed.push_back(entry);
      at_ += kManifestEntryBytes;
    }
    return base::OkStatus();
  }

  base::Status CheckEntry(const Manifest& manifest, const ManifestSegment& entry, bool open,
                          const std::string& where) {
    if (GetU32(bytes_.data() + at_ + 52) != 0) {
      return Bad(source_, where, "bytes [52, 56) are not zero");
    }
    if (entry.count == 0 || entry.count > kMaxSegmentFingerprints) {
      return Bad(source_, where,
                 "count " + std::to_string(entry.count) + " is not in 1.." +
                     std::to_string(kMaxSegmentFingerprints));
    }
    const bool homes_ok = open ? entry.home_slots <= (std::uint64_t{1} << 40) &&
                                     ValidOpenHomeSlots(entry.count, entry.home_slots)
                               : entry.home_slots == SealedHomeSlots(entry.count);
    if (!homes_ok) {
      return Bad(source_, where,
                 "home slots " + std::to_string(entry.home_slots) + " do not fit " +
                     (open ? "an open" : "a sealed") + " segment of " +
                     std::to_string(entry.count) + " fingerprints");
    }
    if (entry.slots % FingerprintTable::kSlotQuantum != 0 ||
        entry.slots < FingerprintTable::EmptySlots(entry.home_slots) ||
        entry.slots > MaxSlots(entry.count, entry.home_slots)) {
      return Bad(source_, where,
                 "array slots " + std::to_string(entry.slots) + " cannot hold " +
                     std::to_string(entry.count) + " fingerprints in " +
                     std::to_string(entry.home_slots) + " home slots");
    }
    if (entry.written_by == 0 || entry.written_by > manifest.checkpoint) {
      return Bad(source_, where,
                 "written by checkpoint " + std::to_string(entry.written_by) + ", not in 1.." +
                     std::to_string(manifest.checkpoint));
    }
    return base::OkStatus();
  }

  std::string_view bytes_;
  std::string_view source_;
  std::size_t end_;
  std::size_t at_ = 0;
};

}  // namespace

std::string EncodeManifest(const Manifest& manifest) {
  std::string out;
  out.append(kManifestMagic);
  PutU32(&out, kDedupFormatVersion);
  PutU32(&out, static_cast<std::uint32_t>(manifest.shards.size()));
  PutU64(&out, manifest.checkpoint);
  PutU64(&out, static_cast<std::uint64_t>(manifest.window_us));
  PutU32(&out, manifest.bucket_count);
  PutU32(&out, 0);
  PutU64(&out, manifest.max_bytes);
  for (std::size_t i = 0; i < manifest.shards.size(); ++i) {
    const ManifestShard& shard = manifest.shards[i];
    PutU32(&out, static_cast<std::uint32_t>(i));
    PutU32(&out, (shard.has_time ? kHasTime : 0) | (shard.open ? kHasOpen : 0));
    PutU32(&out, static_cast<std::uint32_t>(shard.sealed.size()));
    PutU32(&out, 0);
    PutU64(&out, static_cast<std::uint64_t>(shard.newest_us));
    PutU64(&out, static_cast<std::uint64_t>(shard.open_bucket));
    PutU64(&out, shard.next_segment_id);
    PutU64(&out, shard.duplicates);
    PutU64(&out, shard.recorded);
    PutU64(&out, shard.evicted_early);
    PutU64(&out, shard.expired);
    if (shard.open) PutEntry(*shard.open, &out);
    for (const ManifestSegment& entry : shard.sealed) PutEntry(entry, &out);
  }
  PutU32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

base::Result<Manifest> DecodeManifest(std::string_view bytes, std::string_view source) {
  constexpr std::string_view kHeader = "header";
  if (bytes.size() < kManifestHeaderBytes + 4) {
    return Bad(source, kHeader,
               "the manifest has " + std::to_string(bytes.size()) +
                   " bytes, a header and trailer need " + std::to_string(kManifestHeaderBytes + 4));
  }
  if (bytes.substr(0, 8) != kManifestMagic) {
    return Bad(source, kHeader, "bad magic (not a dedup manifest)");
  }
  const std::uint32_t version = GetU32(bytes.data() + 8);
  if (version != kDedupFormatVersion) {
    return Bad(source, kHeader, VersionError(version, kDedupFormatVersion));
  }
  const std::size_t trailer = bytes.size() - 4;
  const std::uint32_t stored = GetU32(bytes.data() + trailer);
  const std::uint32_t computed = base::Crc32cMask(base::Crc32c(bytes.substr(0, trailer)));
  if (stored != computed) {
    return Bad(source, "trailer at byte " + std::to_string(trailer),
               ChecksumMismatch(stored, computed));
  }
  return ManifestParser(bytes, source).Parse();
}

std::string SegmentFileName(std::uint32_t shard, std::uint64_t segment_id, std::uint64_t checkpoint,
                            SegmentKind kind) {
  char name[64];
  std::snprintf(name, sizeof name, "%04u-%012llu-%012llu.%s", static_cast<unsigned>(shard),
                static_cast<unsigned long long>(segment_id),
                static_cast<unsigned long long>(checkpoint),
                kind == SegmentKind::kSealed ? "sealed" : "open");
  return name;
}

std::optional<ParsedSegmentFileName> ParseSegmentFileName(std::string_view name) {
  ParsedSegmentFileName parsed;
  if (name.ends_with(".tmp")) {
    parsed.temporary = true;
    name.remove_suffix(4);
  }
  if (name.ends_with(".sealed")) {
    parsed.kind = SegmentKind::kSealed;
    name.remove_suffix(7);
  } else if (name.ends_with(".open")) {
    parsed.kind = SegmentKind::kOpen;
    name.remove_suffix(5);
  } else {
    return std::nullopt;
  }
  // SSSS-IIIIIIIIIIII-CCCCCCCCCCCC: at least the widths SegmentFileName
  // pads to, digits only.
  auto number = [&](std::size_t min_width, char end, std::uint64_t* out) {
    const std::size_t stop = end == '\0' ? name.size() : name.find(end);
    if (stop == std::string_view::npos || stop < min_width) return false;
    const auto [ptr, ec] = std::from_chars(name.data(), name.data() + stop, *out);
    if (ec != std::errc() || ptr != name.data() + stop) return false;
    name.remove_prefix(end == '\0' ? stop : stop + 1);
    return true;
  };
  std::uint64_t shard = 0;
  if (!number(4, '-', &shard) || shard >= kMaxDedupShards) return std::nullopt;
  if (!number(12, '-', &parsed.segment_id)) return std::nullopt;
  if (!number(12, '\0', &parsed.checkpoint)) return std::nullopt;
  parsed.shard = static_cast<std::uint32_t>(shard);
  return parsed;
}

}  // namespace promorec::pipeline
