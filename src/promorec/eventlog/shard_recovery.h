// Scanning a shard's directory on open (repairing) or for `log check`
// (read-only): every segment's header, records, index and damage, as in
// docs/formats/eventlog.md "Recovery". Thread-safety: functions; the
// caller owns the directory while they run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/eventlog/recovery_report.h"
#include "promorec/eventlog/segment_index.h"

namespace promorec::eventlog {

// What is known about one readable segment.
struct SegmentState {
  std::string path;
  std::uint64_t first_sequence = 0;  // from the header (the name agrees)
  std::uint64_t last_sequence = 0;   // 0 when it holds no record
  std::int64_t first_arrival_us = 0;
  std::int64_t last_arrival_us = 0;
  std::uint64_t records = 0;
  std::uint64_t size = 0;  // readable bytes (after any truncation)
  std::int64_t created_us = 0;
  SegmentIndex index;
  std::shared_ptr<base::RandomAccessFile> file;
};

struct ShardState {
  std::vector<SegmentState> segments;  // readable segments, oldest first
  // Whether the newest readable segment can take appends (it is the last
  // file of the shard and its header is intact).
  bool last_is_appendable = false;
  std::uint64_t next_sequence = 1;
};

// "00000000000000000042.seg" for 42.
std::string SegmentFileName(std::uint64_t first_sequence);

// Scans the shard directory `dir`. With `repair`, truncates a torn tail,
// removes an empty newest segment and rewrites missing or damaged indexes;
// without it, changes nothing. Findings go to `report`. A sealed segment
// with an intact index is trusted without reading it, which keeps opening a
// large store cheap; `verify_sealed` reads it in full as well, so that
// damage inside it is found (`log check`).
[[nodiscard]] base::Result<ShardState> ScanShard(base::Env& env, const std::string& dir,
                                                 std::uint32_t shard, bool repair,
                                                 RecoveryReport* report,
                                                 bool verify_sealed = false);

}  // namespace promorec::eventlog
