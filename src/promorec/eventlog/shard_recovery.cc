#include "promorec/eventlog/shard_recovery.h"

#include <algorithm>
#include <cstdio>

#include "promorec/eventlog/segment_format.h"
#include "promorec/eventlog/segment_scanner.h"

namespace promorec::eventlog {
namespace {

struct SegmentName {
  std::uint64_t first_sequence;
  std::string name;
};

std::vector<SegmentName> ListSegments(const std::vector<std::string>& names) {
  std::vector<SegmentName> out;
  for (const std::string& name : names) {
    if (name.size() != 24 || !name.ends_with(".seg")) continue;
    std::uint64_t value = 0;
    bool digits = true;
    for (std::size_t i = 0; i < 20; ++i) {
      if (name[i] < '0' || name[i] > '9') {
        digits = false;
        break;
      }
      value = value * 10 + static_cast<std::uint64_t>(name[i] - '0');
    }
    if (digits) out.push_back(SegmentName{value, name});
  }
  std::sort(out.begin(), out.end(), [](const SegmentName& a, const SegmentName& b) {
    return a.first_sequence < b.first_sequence;
  });
  return out;
}

std::string IndexPath(const std::string& segment_path) {
  return segment_path.substr(0, segment_path.size() - 4) + ".idx";
}

// Reads records from `start` to the end, extending `state` and reporting
// damage. `is_newest` decides whether trailing damage is a torn tail.
base::Status ScanRecords(SegmentState* state, std::uint64_t start, bool is_newest, bool repair,
                         base::Env& env, RecoveryReport* report) {
  SegmentScanner scanner(*state->file, start, state->size);
  ScannedRecord record;
  std::size_t damages_seen = 0;
  std::uint64_t previous_sequence = 0;
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const bool more, scanner.Next(&record));
    if (!more) break;
    const auto& damages = scanner.damages();
    if (damages.size() > damages_seen) {
      // Damage lies between the previous record and this one.
      const std::uint64_t missing =
          previous_sequence > 0 && record.fields.sequence > previous_sequence + 1
              ? record.fields.sequence - previous_sequence - 1
              : 0;
      for (; damages_seen < damages.size(); ++damages_seen) {
        const Damage& d = damages[damages_seen];
        report->Add(
            Finding{FindingKind::kCorruption, state->path, d.offset, d.length,
                    d.what + "; skipped" +
                        (missing > 0 ? " (" + std::to_string(missing) + " sequence numbers lost)"
                                     : std::string())});
      }
    }
    state->index.Add(record.fields.sequence, record.fields.arrival_us, record.offset);
    if (state->records == 0) state->first_arrival_us = record.fields.arrival_us;
    ++state->records;
    state->last_sequence = record.fields.sequence;
    state->last_arrival_us = record.fields.arrival_us;
    previous_sequence = record.fields.sequence;
  }
  const std::uint64_t good_end = std::max(scanner.last_good_end(), start);
  const auto& damages = scanner.damages();
  for (; damages_seen < damages.size(); ++damages_seen) {
    const Damage& d = damages[damages_seen];
    const bool tail = is_newest;
    report->Add(Finding{tail ? FindingKind::kTornTail : FindingKind::kCorruption, state->path,
                        d.offset, d.length,
                        d.what + (tail ? (repair ? "; truncated to the last complete record"
                                                 : "; a repair would truncate it")
                                       : "; skipped")});
  }
  if (is_newest && good_end < state->size) {
    if (damages.empty() || damages.back().offset + damages.back().length < state->size) {
      report->Add(Finding{FindingKind::kTornTail, state->path, good_end, state->size - good_end,
                          std::string("incomplete data after the last record") +
                              (repair ? "; truncated" : "; a repair would truncate it")});
    }
    if (repair) {
      PROMOREC_RETURN_IF_ERROR(env.TruncateFile(state->path, good_end));
      state->size = good_end;
    }
  }
  return {};
}

}  // namespace

std::string SegmentFileName(std::uint64_t first_sequence) {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(first_sequence));
  return name;
}

base::Result<ShardState> ScanShard(base::Env& env, const std::string& dir, std::uint32_t shard,
                                   bool repair, RecoveryReport* report, bool verify_sealed) {
  ShardState state;
  PROMOREC_ASSIGN_OR_RETURN(const auto names, env.ListDir(dir));
  const std::vector<SegmentName> segments = ListSegments(names);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const bool is_newest = i + 1 == segments.size();
    SegmentState segment;
    segment.path = dir + "/" + segments[i].name;
    PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(segment.path));
    segment.file = std::move(file);
    PROMOREC_ASSIGN_OR_RETURN(segment.size, segment.file->Size());
    state.next_sequence = std::max(state.next_sequence, segments[i].first_sequence);
    if (segment.size < kSegmentHeaderBytes) {
      if (is_newest) {
        report->Add(Finding{FindingKind::kRemovedEmpty, segment.path, 0, segment.size,
                            repair ? "segment shorter than its header (a crash right after "
                                     "creating it); removed"
                                   : "segment shorter than its header; a repair would remove it"});
        if (repair) PROMOREC_RETURN_IF_ERROR(env.RemoveFile(segment.path));
      } else {
        report->Add(Finding{FindingKind::kBadHeader, segment.path, 0, segment.size,
                            "segment shorter than its header; skipped"});
      }
      continue;
    }
    std::string header_bytes(kSegmentHeaderBytes, '\0');
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t got,
                              segment.file->ReadAt(0, std::span<char>(header_bytes)));
    auto header = got == kSegmentHeaderBytes
                      ? DecodeSegmentHeader(header_bytes)
                      : base::Result<SegmentHeader>(base::Corruption("short read of the header"));
    if (header &&
        (header->first_sequence != segments[i].first_sequence || header->shard != shard)) {
      header = base::Corruption("header names sequence " + std::to_string(header->first_sequence) +
                                " of shard " + std::to_string(header->shard) +
                                ", the file name and folder say otherwise");
    }
    if (!header) {
      report->Add(Finding{FindingKind::kBadHeader, segment.path, 0, kSegmentHeaderBytes,
                          header.error().message() + "; segment skipped"});
      if (is_newest) {
        // Left untouched means never reused: the new active segment must not
        // take its name (and truncate it), nor new records any sequence
        // number it may hold. A record takes at least 25 bytes (fragment
        // header, two 8-byte numbers, a key length and a 1-byte key).
        state.next_sequence =
            std::max(state.next_sequence,
                     segments[i].first_sequence + (segment.size - kSegmentHeaderBytes) / 25 + 1);
      }
      continue;
    }
    segment.first_sequence = header->first_sequence;
    segment.created_us = header->created_us;

    bool indexed = false;
    if (!is_newest) {
      auto bytes = base::ReadFileToString(env, IndexPath(segment.path));
      auto decoded = bytes ? SegmentIndex::Decode(*bytes)
                           : base::Result<SegmentIndex::Decoded>(std::unexpected(bytes.error()));
      if (decoded && decoded->covered_bytes == segment.size &&
          decoded->first_sequence == segment.first_sequence) {
        segment.index = std::move(decoded->index);
        segment.records = decoded->last_sequence - decoded->first_sequence + 1;
        const auto& entries = segment.index.entries();
        if (!entries.empty()) {
          segment.first_arrival_us = entries.front().arrival_us;
          // The last record's arrival time: scan from the last indexed block.
          SegmentState tail = segment;
          tail.index.Clear();
          tail.records = 0;
          RecoveryReport ignored;
          PROMOREC_RETURN_IF_ERROR(
              ScanRecords(&tail, entries.back().offset, false, false, env, &ignored));
          segment.last_sequence = tail.last_sequence;
          segment.last_arrival_us = tail.last_arrival_us;
        }
        indexed = true;
      } else {
        std::string why = bytes
                              ? (decoded ? "does not match its segment" : decoded.error().message())
                              : "is missing";
        report->Add(
            Finding{FindingKind::kIndexRebuilt, IndexPath(segment.path), 0, 0,
                    "index " + why + (repair ? "; rebuilt" : "; a repair would rebuild it")});
      }
    }
    if (indexed && verify_sealed) {
      // The index says where records start, not that they are intact.
      SegmentState scratch;
      scratch.path = segment.path;
      scratch.size = segment.size;
      scratch.file = segment.file;
      PROMOREC_RETURN_IF_ERROR(
          ScanRecords(&scratch, kSegmentHeaderBytes, false, false, env, report));
    }
    if (!indexed) {
      PROMOREC_RETURN_IF_ERROR(
          ScanRecords(&segment, kSegmentHeaderBytes, is_newest, repair, env, report));
      if (!is_newest && repair) {
        PROMOREC_RETURN_IF_ERROR(base::WriteFileAtomically(
            env, IndexPath(segment.path),
            segment.index.Encode(
                segment.first_sequence,
                segment.last_sequence == 0 ? segment.first_sequence - 1 : segment.last_sequence,
                segment.size)));
      }
    }
    if (segment.last_sequence >= state.next_sequence) {
      state.next_sequence = segment.last_sequence + 1;
    }
    state.last_is_appendable = is_newest;
    state.segments.push_back(std::move(segment));
  }
  return state;
}

}  // namespace promorec::eventlog
