// The block index of a segment: for each block in which a record starts,
// the first such record's sequence number, arrival time and file offset.
// Lets a reader seek by sequence number or by time with a binary search.
// Kept in memory for every segment; saved as a .idx file when a segment is
// sealed (docs/formats/eventlog.md). Thread-safety: a value type; the
// shard that owns it serialises changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"

namespace promorec::eventlog {

struct IndexEntry {
  std::uint64_t sequence = 0;
  std::int64_t arrival_us = 0;
  std::uint64_t offset = 0;
};

class SegmentIndex {
 public:
  // Records that a record starts at `offset`; adds an entry only when it is
  // the first record starting in its block. Calls come in file order.
  void Add(std::uint64_t sequence, std::int64_t arrival_us, std::uint64_t offset);

  // Where to start scanning for sequence number `sequence`: the offset of
  // the last entry whose sequence is <= it (the segment's data start when
  // none is).
  std::uint64_t SeekSequence(std::uint64_t sequence) const;
  // Where to start scanning for the first record that arrived at or after
  // `arrival_us` (arrival times never decrease within a shard).
  std::uint64_t SeekTime(std::int64_t arrival_us) const;

  const std::vector<IndexEntry>& entries() const { return entries_; }
  void Clear() { entries_.clear(); }

  // .idx file contents for a sealed segment.
  std::string Encode(std::uint64_t first_sequence, std::uint64_t last_sequence,
                     std::uint64_t covered_bytes) const;
  struct Decoded;
  // Corruption when the magic, version, CRC or shape is wrong.
  [[nodiscard]] static base::Result<Decoded> Decode(std::string_view bytes);

 private:
  std::vector<IndexEntry> entries_;
};

struct SegmentIndex::Decoded {
  SegmentIndex index;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::uint64_t covered_bytes = 0;
};

}  // namespace promorec::eventlog
