// Reads the records of a segment file in order from a block boundary (or a
// known record start), checking every fragment's CRC and the fragment
// sequence. Damage is reported, never fatal: the scanner skips to the next
// block boundary and goes on, so one bad block loses only what it holds.
// Thread-safety: one scanner per thread; the file may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/eventlog/segment_format.h"

namespace promorec::eventlog {

struct ScannedRecord {
  RecordFields fields;           // views valid until the next call to Next
  std::uint64_t offset = 0;      // file offset of the record's first fragment
  std::uint64_t end_offset = 0;  // file offset just past its last fragment
};

struct Damage {
  std::uint64_t offset = 0;  // first damaged byte
  std::uint64_t length = 0;  // bytes skipped
  std::string what;          // "CRC mismatch in fragment", "MIDDLE fragment without FIRST", ...
};

class SegmentScanner {
 public:
  // Scans [start_offset, end_offset) of `file`; start_offset must be a block
  // start or the start of a record (or the offset a record was appended at,
  // before the block padding AppendFragments may put ahead of it). end_offset
  // is the readable end (the writer's published end, or the file size).
  SegmentScanner(const base::RandomAccessFile& file, std::uint64_t start_offset,
                 std::uint64_t end_offset);

  // The next intact record; false at end_offset. An I/O error is returned
  // as an error; damage is recorded in damages() and skipped.
  [[nodiscard]] base::Result<bool> Next(ScannedRecord* record);

  // Damage seen so far, in file order.
  const std::vector<Damage>& damages() const { return damages_; }
  // File offset just past the last intact record returned (start_offset if
  // none): where a torn tail starts.
  std::uint64_t last_good_end() const { return last_good_end_; }

 private:
  // Makes block_ hold the bytes from position_ to the end of its block (or
  // to end_); a short read moves end_ back to the file's real end.
  [[nodiscard]] base::Status LoadBlock();
  void AddDamage(std::uint64_t offset, std::uint64_t length, std::string what);
  // Records damage from the open record (or position_) to the next block
  // start, drops the open record and resumes there.
  void SkipToNextBlock(std::string what);
  // Records everything after the last intact record as a torn tail and
  // ends the scan.
  void TornTail(std::string what);
  // Called at end_: what is still open or pending is a torn tail.
  void Finish();

  const base::RandomAccessFile& file_;
  std::uint64_t position_;
  std::uint64_t end_;
  std::uint64_t last_good_end_;
  std::vector<Damage> damages_;
  std::string block_;  // the current block's bytes
  std::uint64_t block_offset_ = 0;
  std::string assembled_;           // payload of a record spanning fragments
  std::string payload_;             // payload of the record returned last
  bool record_open_ = false;        // a FIRST fragment was read, no LAST yet
  std::uint64_t record_start_ = 0;  // offset of the open record's FIRST fragment
  // Start of block padding read since the last record or damage; padding
  // that nothing follows is the start of a torn write.
  std::uint64_t padding_start_;
  bool have_sequence_ = false;
  std::uint64_t last_sequence_ = 0;  // of the record returned last
  bool done_ = false;
};

}  // namespace promorec::eventlog
