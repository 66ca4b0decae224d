#include "promorec/lake/journal_format.h"

#include <cstring>
#include <string>

#include "promorec/base/crc32c.h"
#include "promorec/lake/schema.h"

namespace promorec::lake {

namespace {

constexpr std::string_view kMagic = "PROMOLKJ";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderFixed = 16;
constexpr std::size_t kRecordHeader = 9;  // crc, length, type
constexpr std::uint32_t kMaxPayload = 16u << 20;
constexpr std::uint8_t kSnapshotType = 1;
constexpr std::uint8_t kCommitType = 2;
constexpr std::int64_t kHourUs = 3'600'000'000LL;

void PutU16(std::string* out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t GetLittle(std::string_view bytes, std::size_t offset, int width) {
  std::uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[offset + static_cast<std::size_t>(i)]);
  }
  return v;
}

std::string Hex8(std::uint32_t v) {
  char buf[9];
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 7; i >= 0; --i) {
    buf[i] = kDigits[v & 0xf];
    v >>= 4;
  }
  buf[8] = '\0';
  return buf;
}

// Reads fixed-width fields from a payload, failing cleanly at its end.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view payload) : payload_(payload) {}
  bool U32(std::uint32_t* v) { return Take(4, v); }
  bool U64(std::uint64_t* v) { return Take(8, v); }
  bool I64(std::int64_t* v) {
    std::uint64_t u = 0;
    if (!Take(8, &u)) return false;
    *v = static_cast<std::int64_t>(u);
    return true;
  }
  std::size_t remaining() const { return payload_.size() - pos_; }

 private:
  template <typename T>
  bool Take(int width, T* v) {
    const auto w = static_cast<std::size_t>(width);
    if (remaining() < w) return false;
    *v = static_cast<T>(GetLittle(payload_, pos_, width));
    pos_ += w;
    return true;
  }
  std::string_view payload_;
  std::size_t pos_ = 0;
};

std::string FrameRecord(std::uint8_t type, const std::string& payload) {
  std::string body;
  body.push_back(static_cast<char>(type));
  body += payload;
  std::string out;
  PutU32(&out, base::Crc32cMask(base::Crc32c(body)));
  PutU32(&out, static_cast<std::uint32_t>(payload.size()));
  out += body;
  return out;
}

base::Result<JournalSnapshot> DecodeSnapshot(std::string_view payload) {
  PayloadReader reader(payload);
  JournalSnapshot snapshot;
  std::uint32_t shards = 0;
  if (!reader.U64(&snapshot.next_commit) || !reader.U32(&shards)) {
    return base::Corruption("SNAPSHOT payload is " + std::to_string(payload.size()) +
                            " bytes, too short");
  }
  if (snapshot.next_commit == 0) return base::Corruption("SNAPSHOT next commit id is 0");
  if (shards == 0 || shards > kMaxShards) {
    return base::Corruption("SNAPSHOT shard count " + std::to_string(shards) + " is outside 1.." +
                            std::to_string(kMaxShards));
  }
  if (reader.remaining() != std::size_t{8} * shards) {
    return base::Corruption("SNAPSHOT payload is " + std::to_string(payload.size()) +
                            " bytes, expected " + std::to_string(12 + std::size_t{8} * shards) +
                            " for " + std::to_string(shards) + " shards");
  }
  snapshot.last_sequence.resize(shards);
  for (std::uint64_t& last : snapshot.last_sequence) (void)reader.U64(&last);
  return snapshot;
}

base::Result<CommitRecord> DecodeCommit(std::string_view payload) {
  PayloadReader reader(payload);
  CommitRecord commit;
  std::uint32_t ranges = 0;
  const auto short_payload = [&] {
    return base::Corruption("COMMIT payload is " + std::to_string(payload.size()) +
                            " bytes, too short for its counts");
  };
  if (!reader.U64(&commit.id) || !reader.I64(&commit.time_us) || !reader.U32(&ranges)) {
    return short_payload();
  }
  if (ranges == 0 || ranges > kMaxShards) {
    return base::Corruption("COMMIT " + std::to_string(commit.id) + " has " +
                            std::to_string(ranges) + " shard ranges, expected 1.." +
                            std::to_string(kMaxShards));
  }
  if (reader.remaining() < std::size_t{20} * ranges) return short_payload();
  commit.ranges.resize(ranges);
  for (ShardRange& range : commit.ranges) {
    (void)reader.U32(&range.shard);
    (void)reader.U64(&range.first);
    (void)reader.U64(&range.last);
  }
  std::uint32_t files = 0;
  if (!reader.U32(&files)) return short_payload();
  if (files == 0) return base::Corruption("COMMIT " + std::to_string(commit.id) + " has no files");
  if (reader.remaining() != std::size_t{28} * files) {
    return base::Corruption("COMMIT " + std::to_string(commit.id) + " payload is " +
                            std::to_string(payload.size()) + " bytes, which does not fit " +
                            std::to_string(ranges) + " ranges and " + std::to_string(files) +
                            " files");
  }
  commit.files.resize(files);
  for (CommitFile& file : commit.files) {
    (void)reader.I64(&file.hour_us);
    (void)reader.U64(&file.records);
    (void)reader.U64(&file.bytes);
    (void)reader.U32(&file.crc);
  }
  return commit;
}

}  // namespace

std::string EncodeJournalHeader(std::string_view table) {
  std::string out(kMagic);
  PutU32(&out, kVersion);
  PutU16(&out, static_cast<std::uint16_t>(table.size()));
  PutU16(&out, 0);
  out += table;
  PutU32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

std::string EncodeSnapshotRecord(const JournalSnapshot& snapshot) {
  std::string payload;
  PutU64(&payload, snapshot.next_commit);
  PutU32(&payload, static_cast<std::uint32_t>(snapshot.last_sequence.size()));
  for (const std::uint64_t last : snapshot.last_sequence) PutU64(&payload, last);
  return FrameRecord(kSnapshotType, payload);
}

std::string EncodeCommitRecord(const CommitRecord& commit) {
  std::string payload;
  PutU64(&payload, commit.id);
  PutU64(&payload, static_cast<std::uint64_t>(commit.time_us));
  PutU32(&payload, static_cast<std::uint32_t>(commit.ranges.size()));
  for (const ShardRange& range : commit.ranges) {
    PutU32(&payload, range.shard);
    PutU64(&payload, range.first);
    PutU64(&payload, range.last);
  }
  PutU32(&payload, static_cast<std::uint32_t>(commit.files.size()));
  for (const CommitFile& file : commit.files) {
    PutU64(&payload, static_cast<std::uint64_t>(file.hour_us));
    PutU64(&payload, file.records);
    PutU64(&payload, file.bytes);
    PutU32(&payload, file.crc);
  }
  return FrameRecord(kCommitType, payload);
}

base::Status ApplyCommit(const CommitRecord& commit, JournalSnapshot* state) {
  const std::string what = "COMMIT " + std::to_string(commit.id);
  if (commit.id < state->next_commit) {
    return base::Corruption(what + ": id is below the next commit id " +
                            std::to_string(state->next_commit));
  }
  if (commit.ranges.empty()) return base::Corruption(what + ": no shard ranges");
  if (commit.files.empty()) return base::Corruption(what + ": no files");
  for (std::size_t i = 0; i < commit.ranges.size(); ++i) {
    const ShardRange& range = commit.ranges[i];
    if (range.shard >= state->last_sequence.size()) {
      return base::Corruption(what + ": shard " + std::to_string(range.shard) +
                              " is not below the shard count " +
                              std::to_string(state->last_sequence.size()));
    }
    if (i > 0 && range.shard <= commit.ranges[i - 1].shard) {
      return base::Corruption(what + ": shard ranges are not in increasing shard order");
    }
    if (range.first > range.last) {
      return base::Corruption(what + ": shard " + std::to_string(range.shard) + " range " +
                              std::to_string(range.first) + ".." + std::to_string(range.last) +
                              " is empty");
    }
    if (range.first <= state->last_sequence[range.shard]) {
      return base::Corruption(
          what + ": shard " + std::to_string(range.shard) + " range starts at " +
          std::to_string(range.first) + ", not above sequence " +
          std::to_string(state->last_sequence[range.shard]) + " already in the lake");
    }
  }
  for (std::size_t i = 0; i < commit.files.size(); ++i) {
    const CommitFile& file = commit.files[i];
    if (file.hour_us < 0 || file.hour_us % kHourUs != 0) {
      return base::Corruption(what + ": partition hour " + std::to_string(file.hour_us) +
                              " is not a whole hour");
    }
    if (i > 0 && file.hour_us <= commit.files[i - 1].hour_us) {
      return base::Corruption(what + ": files are not in increasing partition order");
    }
    if (file.records == 0) return base::Corruption(what + ": a file with no records");
  }
  for (const ShardRange& range : commit.ranges) state->last_sequence[range.shard] = range.last;
  state->next_commit = commit.id + 1;
  return base::OkStatus();
}

base::Result<JournalContents> DecodeJournal(std::string_view bytes) {
  if (bytes.size() < kHeaderFixed + 4) {
    return base::Corruption("journal is " + std::to_string(bytes.size()) +
                            " bytes, shorter than its header");
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    return base::Corruption("not a lake journal (bad magic)");
  }
  const auto version = static_cast<std::uint32_t>(GetLittle(bytes, 8, 4));
  if (version != kVersion) {
    return base::Corruption("journal format version " + std::to_string(version) +
                            " is not supported (expected " + std::to_string(kVersion) + ")");
  }
  const auto name_len = static_cast<std::size_t>(GetLittle(bytes, 12, 2));
  if (name_len == 0 || name_len > 64 || GetLittle(bytes, 14, 2) != 0) {
    return base::Corruption("journal header: table name length " + std::to_string(name_len) +
                            " is outside 1..64");
  }
  const std::size_t header_size = kHeaderFixed + name_len + 4;
  if (bytes.size() < header_size) {
    return base::Corruption("journal is " + std::to_string(bytes.size()) +
                            " bytes, shorter than its header");
  }
  const auto stored = static_cast<std::uint32_t>(GetLittle(bytes, header_size - 4, 4));
  const std::uint32_t computed = base::Crc32c(bytes.substr(0, header_size - 4));
  if (base::Crc32cUnmask(stored) != computed) {
    return base::Corruption("journal header: checksum mismatch: stored " +
                            Hex8(base::Crc32cUnmask(stored)) + ", computed " + Hex8(computed));
  }
  JournalContents contents;
  contents.table = std::string(bytes.substr(kHeaderFixed, name_len));
  if (!IsValidName(contents.table)) {
    return base::Corruption("journal header: table name is not a valid name");
  }

  std::size_t pos = header_size;
  contents.valid_bytes = pos;
  bool have_snapshot = false;
  while (pos < bytes.size()) {
    const std::string at = "journal record at byte " + std::to_string(pos);
    const std::size_t left = bytes.size() - pos;
    if (left < kRecordHeader) {
      contents.dropped_tail_bytes = left;
      break;
    }
    const auto crc = static_cast<std::uint32_t>(GetLittle(bytes, pos, 4));
    const auto length = static_cast<std::uint32_t>(GetLittle(bytes, pos + 4, 4));
    if (length > kMaxPayload) {
      return base::Corruption(at + ": payload length " + std::to_string(length) +
                              " is over the limit of " + std::to_string(kMaxPayload));
    }
    if (left - kRecordHeader < length) {
      contents.dropped_tail_bytes = left;  // the write of the last record was cut short
      break;
    }
    const std::string_view body = bytes.substr(pos + 8, 1 + std::size_t{length});
    const std::size_t end = pos + kRecordHeader + length;
    if (base::Crc32cUnmask(crc) != base::Crc32c(body)) {
      if (end == bytes.size()) {
        contents.dropped_tail_bytes = left;
        break;
      }
      return base::Corruption(at + ": checksum mismatch with " +
                              std::to_string(bytes.size() - end) + " bytes after the record");
    }
    const auto type = static_cast<std::uint8_t>(body[0]);
    const std::string_view payload = body.substr(1);
    if (type == kSnapshotType) {
      if (have_snapshot) return base::Corruption(at + ": a second SNAPSHOT record");
      auto snapshot = DecodeSnapshot(payload);
      if (!snapshot) return std::unexpected(std::move(snapshot).error().WithContext(at));
      contents.snapshot = *snapshot;
      contents.state = *std::move(snapshot);
      have_snapshot = true;
    } else if (type == kCommitType) {
      if (!have_snapshot) return base::Corruption(at + ": COMMIT before the SNAPSHOT record");
      auto commit = DecodeCommit(payload);
      if (!commit) return std::unexpected(std::move(commit).error().WithContext(at));
      if (base::Status applied = ApplyCommit(*commit, &contents.state); !applied) {
        return std::unexpected(std::move(applied).error().WithContext(at));
      }
      contents.commits.push_back(*std::move(commit));
    } else {
      return base::Corruption(at + ": unknown record type " + std::to_string(type));
    }
    pos = end;
    contents.valid_bytes = pos;
  }
  if (!have_snapshot) {
    if (contents.dropped_tail_bytes > 0) {
      return base::Corruption("journal has no complete SNAPSHOT record (" +
                              std::to_string(contents.dropped_tail_bytes) +
                              " bytes after the header are cut short)");
    }
    return base::Corruption("journal has no SNAPSHOT record");
  }
  return contents;
}

}  // namespace promorec::lake
