// Shard reads: resolving iterator positions and reading batches. Readers
// take the metadata lock only to find where to start and how far records
// are acknowledged; the scan itself runs without it.
#include <algorithm>

#include "promorec/eventlog/segment_format.h"
#include "promorec/eventlog/segment_scanner.h"
#include "promorec/eventlog/shard.h"
#include "promorec/eventlog/shard_segment.h"

namespace promorec::eventlog {

std::size_t Shard::SegmentFor(std::uint64_t sequence) const {
  // The last segment whose first sequence is <= `sequence`.
  auto it = std::upper_bound(segments_.begin(), segments_.end(), sequence,
                             [](std::uint64_t s, const std::shared_ptr<Segment>& segment) {
                               return s < segment->first_sequence;
                             });
  return it == segments_.begin() ? 0 : static_cast<std::size_t>(it - segments_.begin() - 1);
}

base::Result<ReadBatch> Shard::Read(std::uint64_t from_sequence, const ReadLimits& limits) {
  ReadBatch batch;
  std::string storage;
  struct Slice {
    std::uint64_t sequence;
    std::int64_t arrival_us;
    std::size_t key_offset, key_size, data_offset, data_size;
  };
  std::vector<Slice> slices;
  std::uint64_t next = from_sequence;
  std::int64_t newest_arrival = 0;
  std::int64_t last_returned_arrival = 0;
  bool first_pass = true;
  while (slices.size() < limits.max_records && storage.size() < limits.max_bytes) {
    std::shared_ptr<Segment> segment;
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    {
      std::lock_guard lock(meta_mu_);
      newest_arrival = visible_last_arrival_us_;
      if (segments_.empty() || next > visible_last_sequence_) break;
      if (first_pass && next < segments_.front()->first_sequence) {
        next = segments_.front()->first_sequence;  // older records are gone
      }
      const std::size_t i = SegmentFor(next);
      segment = segments_[i];
      // Past this segment's records: continue in the next one.
      if (segment->records > 0 && next > segment->last_sequence && i + 1 < segments_.size()) {
        segment = segments_[i + 1];
      }
      start = segment->index.SeekSequence(next);
      end = segment->size;
    }
    first_pass = false;
    SegmentScanner scanner(*segment->file, start, end);
    ScannedRecord record;
    bool progressed = false;
    while (slices.size() < limits.max_records && storage.size() < limits.max_bytes) {
      PROMOREC_ASSIGN_OR_RETURN(const bool more, scanner.Next(&record));
      if (!more) break;
      const RecordFields& f = record.fields;
      if (f.sequence < next) continue;
      Slice slice{f.sequence, f.arrival_us, storage.size(), f.partition_key.size(),
                  0,          f.data.size()};
      storage.append(f.partition_key);
      slice.data_offset = storage.size();
      storage.append(f.data);
      slices.push_back(slice);
      next = f.sequence + 1;
      last_returned_arrival = f.arrival_us;
      progressed = true;
    }
    if (!progressed) {
      // Nothing more in this segment: move on only if a later one exists.
      std::lock_guard lock(meta_mu_);
      std::uint64_t after = 0;
      for (const auto& s : segments_) {
        if (s->first_sequence > segment->first_sequence) {
          after = s->first_sequence;
          break;
        }
      }
      if (after == 0) break;
      next = std::max(next, after);
    }
  }
  auto shared = std::make_shared<const std::string>(std::move(storage));
  const std::string_view bytes(*shared);
  batch.storage = shared;
  batch.records.reserve(slices.size());
  for (const Slice& s : slices) {
    batch.records.push_back(RecordView{s.sequence, s.arrival_us,
                                       bytes.substr(s.key_offset, s.key_size),
                                       bytes.substr(s.data_offset, s.data_size)});
  }
  batch.next_sequence = next;
  batch.behind_us =
      slices.empty() ? 0 : std::max<std::int64_t>(0, newest_arrival - last_returned_arrival);
  return batch;
}

base::Result<std::uint64_t> Shard::Resolve(const IteratorSpec& spec) {
  std::shared_ptr<Segment> segment;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    std::lock_guard lock(meta_mu_);
    const std::uint64_t oldest = segments_.empty() ? 1 : segments_.front()->first_sequence;
    const std::uint64_t latest = visible_last_sequence_ + 1;
    switch (spec.type) {
      case IteratorType::kTrimHorizon:
        return std::min(oldest, latest);
      case IteratorType::kLatest:
        return latest;
      case IteratorType::kAtSequence:
      case IteratorType::kAfterSequence: {
        const std::uint64_t at =
            spec.type == IteratorType::kAtSequence ? spec.sequence : spec.sequence + 1;
        if (spec.sequence == 0 || at > latest) {
          return base::InvalidArgument("sequence number " + std::to_string(spec.sequence) +
                                       " is not in shard " + std::to_string(config_.shard) +
                                       " (newest is " + std::to_string(visible_last_sequence_) +
                                       ")");
        }
        return std::max(at, oldest);
      }
      case IteratorType::kAtTimestamp:
        break;
    }
    // The first segment whose newest record arrived at or after the time.
    for (const auto& s : segments_) {
      if (s->records > 0 && s->last_arrival_us >= spec.timestamp_us) {
        segment = s;
        break;
      }
    }
    if (!segment) return latest;
    start = segment->index.SeekTime(spec.timestamp_us);
    end = segment->size;
  }
  SegmentScanner scanner(*segment->file, start, end);
  ScannedRecord record;
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const bool more, scanner.Next(&record));
    if (!more) break;
    if (record.fields.arrival_us >= spec.timestamp_us) return record.fields.sequence;
  }
  std::lock_guard lock(meta_mu_);
  return visible_last_sequence_ + 1;
}

ShardInfo Shard::Info() {
  std::lock_guard lock(meta_mu_);
  ShardInfo info;
  info.shard = config_.shard;
  info.starting_hash_key = StartingHashKey(config_.shard, config_.shard_count);
  info.ending_hash_key = EndingHashKey(config_.shard, config_.shard_count);
  for (const auto& s : segments_) {
    if (s->records > 0 && info.first_sequence == 0) info.first_sequence = s->first_sequence;
    info.records += s->records;
    info.bytes += s->size;
  }
  info.last_sequence = visible_last_sequence_;
  info.segments = static_cast<std::uint32_t>(segments_.size());
  info.failed = failed_flag_.load();
  return info;
}

}  // namespace promorec::eventlog
