// The de-duplication filter's two checkpoint formats
// (docs/formats/dedup.md): segment files (a header and the fingerprints of
// one segment in checksummed blocks) and the manifest (which files make up
// the filter at one checkpoint, with each shard's clock and counters). This
// is the only encoder and parser of both; dedup_checkpoint.cc does the file
// handling. Every parse error is Corruption "SOURCE: WHERE: WHY".
// Thread-safety: pure functions; a SegmentBodyDecoder is one reader's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::pipeline {

inline constexpr std::string_view kSegmentMagic = "PROMODDS";
inline constexpr std::string_view kManifestMagic = "PROMODDM";
inline constexpr std::uint32_t kDedupFormatVersion = 1;
inline constexpr std::size_t kSegmentHeaderBytes = 64;
inline constexpr std::size_t kManifestHeaderBytes = 48;
inline constexpr std::size_t kManifestEntryBytes = 56;
inline constexpr std::size_t kManifestShardBytes = 72;
inline constexpr std::size_t kFingerprintsPerBlock = 4096;
inline constexpr std::uint64_t kMaxSegmentFingerprints = std::uint64_t{1} << 36;
inline constexpr std::uint32_t kMaxDedupShards = 4096;
inline constexpr std::uint32_t kMaxBucketCount = 1024;
inline constexpr std::int64_t kMaxWindowUs = std::int64_t{1} << 50;
inline constexpr std::uint32_t kMaxSealedSegmentsPerShard = 65536;
// An open segment starts with this many home slots and doubles them.
inline constexpr std::uint64_t kOpenInitialHomeSlots = 1024;
// Percent load: an open segment doubles before a record takes it past
// kOpenMaxLoadPercent; sealing re-lays it out at kSealedLoadPercent.
inline constexpr std::uint64_t kOpenMaxLoadPercent = 70;
inline constexpr std::uint64_t kSealedLoadPercent = 90;

enum class SegmentKind : std::uint32_t { kSealed = 1, kOpen = 2 };

// ceil(count * 100 / 90): the home slots of a sealed segment.
std::uint64_t SealedHomeSlots(std::uint64_t count);
// Whether an open segment of `count` fingerprints may have `home_slots`.
bool ValidOpenHomeSlots(std::uint64_t count, std::uint64_t home_slots);
// 64 + 8n + 4 * ceil(n / 4096).
std::uint64_t SegmentFileBytes(std::uint64_t count);

struct SegmentHeader {
  SegmentKind kind = SegmentKind::kSealed;
  std::uint32_t shard = 0;
  // Masked CRC-32C of all fingerprint bytes.
  std::uint32_t data_crc = 0;
  std::uint64_t segment_id = 0;
  std::int64_t bucket = 0;
  std::uint64_t count = 0;
  std::uint64_t home_slots = 0;

  friend bool operator==(const SegmentHeader&, const SegmentHeader&) = default;
};

std::string EncodeSegmentHeader(const SegmentHeader& header);
// The first kSegmentHeaderBytes of `bytes` (fewer is an error).
[[nodiscard]] base::Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes,
                                                              std::string_view source);

// Continues the masked-later CRC of fingerprint bytes (pass 0 to start).
std::uint32_t ExtendFingerprintCrc(std::uint32_t crc, std::span<const std::uint64_t> fps);
// One block: the fingerprints (at most kFingerprintsPerBlock) and its CRC.
void AppendSegmentBlock(std::span<const std::uint64_t> fps, std::string* out);

// Reads the blocks after a decoded header, one at a time, so that a large
// file need not be held in memory: checks each block's CRC, the order of
// the fingerprints and, at the end, the CRC of all of them.
class SegmentBodyDecoder {
 public:
  SegmentBodyDecoder(const SegmentHeader& header, std::string_view source);
  // Bytes of the next block; 0 once every block has been decoded.
  std::size_t next_block_bytes() const;
  // Checks the next block (exactly next_block_bytes() bytes) and returns
  // its fingerprints, valid until the next call.
  [[nodiscard]] base::Result<std::span<const std::uint64_t>> DecodeBlock(std::string_view bytes);
  // After the last block: the CRC of all fingerprints against the header.
  [[nodiscard]] base::Status Finish() const;

 private:
  SegmentHeader header_;
  std::string source_;
  std::vector<std::uint64_t> block_;
  std::uint64_t decoded_ = 0;
  std::uint64_t block_index_ = 0;
  std::uint64_t previous_ = 0;
  std::uint32_t crc_ = 0;
};

struct SegmentContents {
  SegmentHeader header;
  std::vector<std::uint64_t> fingerprints;
};

// A whole segment file: `header.count` and `header.data_crc` are taken from
// `fingerprints` (strictly ascending, non-zero).
std::string EncodeSegmentFile(SegmentHeader header, std::span<const std::uint64_t> fingerprints);
[[nodiscard]] base::Result<SegmentContents> DecodeSegmentFile(std::string_view bytes,
                                                              std::string_view source);

struct ManifestSegment {
  std::uint64_t segment_id = 0;
  std::int64_t bucket = 0;
  std::uint64_t count = 0;
  std::uint64_t home_slots = 0;
  // The table's array size in slots (8 bytes each) once loaded.
  std::uint64_t slots = 0;
  // The checkpoint that wrote the file (part of its name).
  std::uint64_t written_by = 0;
  std::uint32_t data_crc = 0;

  friend bool operator==(const ManifestSegment&, const ManifestSegment&) = default;
};

struct ManifestShard {
  bool has_time = false;
  std::int64_t newest_us = 0;
  std::int64_t open_bucket = 0;
  std::uint64_t next_segment_id = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t recorded = 0;
  std::uint64_t evicted_early = 0;
  std::uint64_t expired = 0;
  std::optional<ManifestSegment> open;
  std::vector<ManifestSegment> sealed;  // oldest first

  friend bool operator==(const ManifestShard&, const ManifestShard&) = default;
};

struct Manifest {
  std::uint64_t checkpoint = 0;
  std::int64_t window_us = 0;
  std::uint32_t bucket_count = 0;
  std::uint64_t max_bytes = 0;
  std::vector<ManifestShard> shards;

  friend bool operator==(const Manifest&, const Manifest&) = default;
};

std::string EncodeManifest(const Manifest& manifest);
[[nodiscard]] base::Result<Manifest> DecodeManifest(std::string_view bytes,
                                                    std::string_view source);

// "SSSS-IIIIIIIIIIII-CCCCCCCCCCCC.sealed" or ".open".
std::string SegmentFileName(std::uint32_t shard, std::uint64_t segment_id, std::uint64_t checkpoint,
                            SegmentKind kind);

struct ParsedSegmentFileName {
  std::uint32_t shard = 0;
  std::uint64_t segment_id = 0;
  std::uint64_t checkpoint = 0;
  SegmentKind kind = SegmentKind::kSealed;
  bool temporary = false;  // ends in ".tmp"
};
// The parts of a name SegmentFileName made (with or without ".tmp");
// nullopt for any other name.
std::optional<ParsedSegmentFileName> ParseSegmentFileName(std::string_view name);

}  // namespace promorec::pipeline
