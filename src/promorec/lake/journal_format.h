// The commit journal of one lake table (`lake/<table>/_journal`,
// docs/formats/lake.md "Journal"): a header, one SNAPSHOT record with the
// durable position of every shard, then one COMMIT record per flush that
// reached the lake. This file encodes and decodes the bytes; TableWriter
// decides when to write them.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::lake {

inline constexpr std::uint32_t kMaxShards = 1024;

// The sequence numbers one commit took from one shard.
struct ShardRange {
  std::uint32_t shard = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;

  friend bool operator==(const ShardRange&, const ShardRange&) = default;
};

// One data file of a commit: the file is
// `<table>/<PartitionPath(hour_us)>/<table>-<commit id>.csv.gz`.
struct CommitFile {
  std::int64_t hour_us = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint32_t crc = 0;  // unmasked CRC-32C of the file's bytes

  friend bool operator==(const CommitFile&, const CommitFile&) = default;
};

struct CommitRecord {
  std::uint64_t id = 0;
  std::int64_t time_us = 0;
  std::vector<ShardRange> ranges;  // shards strictly increasing
  std::vector<CommitFile> files;   // hours strictly increasing

  friend bool operator==(const CommitRecord&, const CommitRecord&) = default;
};

// The durable state a SNAPSHOT record holds.
struct JournalSnapshot {
  std::uint64_t next_commit = 1;
  // Per shard, the highest sequence number in the lake; 0 = none.
  std::vector<std::uint64_t> last_sequence;

  friend bool operator==(const JournalSnapshot&, const JournalSnapshot&) = default;
};

// What a journal holds once read.
struct JournalContents {
  std::string table;
  JournalSnapshot snapshot;              // as written in the SNAPSHOT record
  std::vector<CommitRecord> commits;     // the COMMIT records after it, in order
  JournalSnapshot state;                 // snapshot with every commit applied
  std::uint64_t valid_bytes = 0;         // bytes up to the end of the last good record
  std::uint64_t dropped_tail_bytes = 0;  // a torn last record, not counted in valid_bytes
};

// The header for `table` (a valid table name).
std::string EncodeJournalHeader(std::string_view table);
std::string EncodeSnapshotRecord(const JournalSnapshot& snapshot);
std::string EncodeCommitRecord(const CommitRecord& commit);

// Applies a commit to `state` after checking it against the rules of the
// format (ids growing, ranges above the durable positions, sorted, ...).
// Fails with kCorruption saying which rule.
[[nodiscard]] base::Status ApplyCommit(const CommitRecord& commit, JournalSnapshot* state);

// Reads a whole journal. A torn last record is reported in
// dropped_tail_bytes, not as an error; every other defect is kCorruption
// naming the byte offset.
[[nodiscard]] base::Result<JournalContents> DecodeJournal(std::string_view bytes);

}  // namespace promorec::lake
