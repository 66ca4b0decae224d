// The bytes of a segment file (docs/formats/eventlog.md): the header, the
// 32 KiB blocks of CRC-framed fragments, and the record inside them.
// Encoding appends to a caller's buffer so that a group commit builds one
// buffer for one write. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::eventlog {

inline constexpr std::string_view kSegmentMagic = "PROMOSEG";
inline constexpr std::uint32_t kSegmentVersion = 1;
inline constexpr std::uint64_t kSegmentHeaderBytes = 64;
inline constexpr std::uint64_t kBlockBytes = 32 * 1024;
inline constexpr std::uint64_t kFragmentHeaderBytes = 7;
inline constexpr std::size_t kMaxPartitionKeyBytes = 256;
inline constexpr std::size_t kMaxRecordDataBytes = 16 << 20;

enum class FragmentType : std::uint8_t { kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

struct SegmentHeader {
  std::uint32_t shard = 0;
  std::uint64_t first_sequence = 0;
  std::int64_t created_us = 0;
};

// Exactly kSegmentHeaderBytes bytes.
std::string EncodeSegmentHeader(const SegmentHeader& header);
// Corruption (with the reason) for a bad magic, version or CRC.
[[nodiscard]] base::Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes);

// A record as stored: what the format keeps for each appended record.
struct RecordFields {
  std::uint64_t sequence = 0;
  std::int64_t arrival_us = 0;
  std::string_view partition_key;
  std::string_view data;
};

// Appends the record payload (sequence, arrival, key, data) to `out`.
void EncodeRecordPayload(const RecordFields& record, std::string* out);
// Reads a payload back; the views point into `payload`.
[[nodiscard]] base::Result<RecordFields> DecodeRecordPayload(std::string_view payload);

// Appends `payload` framed as fragments to `out`, for a segment whose file
// currently ends at `file_offset` (so that fragments respect block
// boundaries, padding a block tail shorter than a fragment header with
// zeros). Returns the file offset after the appended bytes. `file_offset`
// is at least kSegmentHeaderBytes: the header is written first.
std::uint64_t AppendFragments(std::uint64_t file_offset, std::string_view payload,
                              std::string* out);

// Where the first fragment of a record appended at `file_offset` lands:
// `file_offset` itself, or the next block start when fewer than
// kFragmentHeaderBytes bytes are left in the block (they become padding).
// This is the record offset a scanner reports, so it is the one to index.
std::uint64_t FirstFragmentOffset(std::uint64_t file_offset);

// The file offset where the block containing `offset` starts (offsets below
// the header map to kSegmentHeaderBytes).
std::uint64_t BlockStart(std::uint64_t offset);

}  // namespace promorec::eventlog
