// Internal to Shard: one segment as the shard keeps it in memory. Fields
// change under the shard's meta_mu_ only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "promorec/base/env.h"
#include "promorec/eventlog/segment_index.h"
#include "promorec/eventlog/shard.h"

namespace promorec::eventlog {

struct Shard::Segment {
  std::string path;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;  // 0 when empty
  std::int64_t first_arrival_us = 0;
  std::int64_t last_arrival_us = 0;
  std::uint64_t records = 0;
  std::uint64_t size = 0;  // readable end: only acknowledged records lie before it
  std::int64_t created_us = 0;
  bool sealed = false;
  SegmentIndex index;
  std::shared_ptr<base::RandomAccessFile> file;
};

}  // namespace promorec::eventlog
