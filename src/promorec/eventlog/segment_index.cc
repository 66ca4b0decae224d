#include "promorec/eventlog/segment_index.h"

#include <algorithm>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"
#include "promorec/eventlog/segment_format.h"

namespace promorec::eventlog {
namespace {

constexpr std::string_view kIndexMagic = "PROMOIDX";
constexpr std::uint32_t kIndexVersion = 1;
constexpr std::size_t kIndexHeaderBytes = 40;
constexpr std::size_t kEntryBytes = 24;
constexpr std::size_t kCrcBytes = 4;

}  // namespace

void SegmentIndex::Add(std::uint64_t sequence, std::int64_t arrival_us, std::uint64_t offset) {
  if (!entries_.empty() && BlockStart(offset) == BlockStart(entries_.back().offset)) return;
  entries_.push_back(IndexEntry{sequence, arrival_us, offset});
}

std::uint64_t SegmentIndex::SeekSequence(std::uint64_t sequence) const {
  const auto after =
      std::upper_bound(entries_.begin(), entries_.end(), sequence,
                       [](std::uint64_t s, const IndexEntry& entry) { return s < entry.sequence; });
  return after == entries_.begin() ? kSegmentHeaderBytes : std::prev(after)->offset;
}

std::uint64_t SegmentIndex::SeekTime(std::int64_t arrival_us) const {
  // Many records can share an arrival time, so the first one at `arrival_us`
  // may sit in the block before the first entry that has it: start at the
  // last entry strictly before the time.
  const auto at_or_after = std::lower_bound(
      entries_.begin(), entries_.end(), arrival_us,
      [](const IndexEntry& entry, std::int64_t t) { return entry.arrival_us < t; });
  return at_or_after == entries_.begin() ? kSegmentHeaderBytes : std::prev(at_or_after)->offset;
}

std::string SegmentIndex::Encode(std::uint64_t first_sequence, std::uint64_t last_sequence,
                                 std::uint64_t covered_bytes) const {
  std::string out;
  out.reserve(kIndexHeaderBytes + kEntryBytes * entries_.size() + kCrcBytes);
  out.append(kIndexMagic);
  PutFixed32(&out, kIndexVersion);
  PutFixed32(&out, static_cast<std::uint32_t>(entries_.size()));
  PutFixed64(&out, first_sequence);
  PutFixed64(&out, last_sequence);
  PutFixed64(&out, covered_bytes);
  for (const IndexEntry& entry : entries_) {
    PutFixed64(&out, entry.sequence);
    PutFixed64(&out, static_cast<std::uint64_t>(entry.arrival_us));
    PutFixed64(&out, entry.offset);
  }
  PutFixed32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

base::Result<SegmentIndex::Decoded> SegmentIndex::Decode(std::string_view bytes) {
  if (bytes.size() < kIndexHeaderBytes + kCrcBytes) {
    return base::Corruption("index is " + std::to_string(bytes.size()) +
                            " bytes, shorter than an empty index (44)");
  }
  if (bytes.substr(0, kIndexMagic.size()) != kIndexMagic) {
    return base::Corruption("index has no PROMOIDX magic");
  }
  const std::size_t crc_at = bytes.size() - kCrcBytes;
  if (base::Crc32cUnmask(GetFixed32(bytes.data() + crc_at)) !=
      base::Crc32c(bytes.substr(0, crc_at))) {
    return base::Corruption("index CRC mismatch");
  }
  const std::uint32_t version = GetFixed32(bytes.data() + 8);
  if (version != kIndexVersion) {
    return base::Corruption("index format version " + std::to_string(version) +
                            " is not supported (this build reads version " +
                            std::to_string(kIndexVersion) + ")");
  }
  const std::uint32_t count = GetFixed32(bytes.data() + 12);
  const std::size_t entry_bytes = crc_at - kIndexHeaderBytes;
  if (entry_bytes % kEntryBytes != 0 || entry_bytes / kEntryBytes != count) {
    return base::Corruption("index says " + std::to_string(count) + " entries but holds " +
                            std::to_string(entry_bytes) + " bytes of entries");
  }
  Decoded decoded;
  decoded.first_sequence = GetFixed64(bytes.data() + 16);
  decoded.last_sequence = GetFixed64(bytes.data() + 24);
  decoded.covered_bytes = GetFixed64(bytes.data() + 32);
  auto& entries = decoded.index.entries_;
  entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const char* p = bytes.data() + kIndexHeaderBytes + i * kEntryBytes;
    const IndexEntry entry{GetFixed64(p), static_cast<std::int64_t>(GetFixed64(p + 8)),
                           GetFixed64(p + 16)};
    const std::string where = "index entry " + std::to_string(i);
    // The searches assume sorted entries; a writer bug that broke the order
    // must not turn into seeks past the records asked for.
    if (entry.offset < kSegmentHeaderBytes || entry.offset >= decoded.covered_bytes) {
      return base::Corruption(where + ": offset " + std::to_string(entry.offset) +
                              " is outside the covered bytes [64, " +
                              std::to_string(decoded.covered_bytes) + ")");
    }
    if (entry.sequence < decoded.first_sequence) {
      return base::Corruption(where + ": sequence number " + std::to_string(entry.sequence) +
                              " is below the segment's first " +
                              std::to_string(decoded.first_sequence));
    }
    if (!entries.empty()) {
      const IndexEntry& previous = entries.back();
      if (BlockStart(entry.offset) <= BlockStart(previous.offset)) {
        return base::Corruption(where + ": offset " + std::to_string(entry.offset) +
                                " is not in a later block than " + std::to_string(previous.offset));
      }
      if (entry.sequence <= previous.sequence) {
        return base::Corruption(where + ": sequence number " + std::to_string(entry.sequence) +
                                " not above " + std::to_string(previous.sequence));
      }
      if (entry.arrival_us < previous.arrival_us) {
        return base::Corruption(where + ": arrival time " + std::to_string(entry.arrival_us) +
                                " before " + std::to_string(previous.arrival_us));
      }
    }
    entries.push_back(entry);
  }
  return decoded;
}

}  // namespace promorec::eventlog
