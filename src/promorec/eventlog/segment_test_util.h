// Helpers for the segment tests and fuzz targets: builds segment files the
// way a shard writer does (group commits through AppendFragments) and scans
// bytes back without touching a file system. Test-only; not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/eventlog/segment_format.h"
#include "promorec/eventlog/segment_scanner.h"

namespace promorec::eventlog::testing {

struct TestRecord {
  std::uint64_t sequence = 0;
  std::int64_t arrival_us = 0;
  std::string key;
  std::string data;
  std::uint64_t offset = 0;  // where its first fragment landed
  std::uint64_t end = 0;     // just past its last fragment

  bool operator==(const TestRecord&) const = default;
};

class SegmentBuilder {
 public:
  explicit SegmentBuilder(std::uint64_t first_sequence = 1)
      : bytes_(EncodeSegmentHeader({0, first_sequence, 0})) {}

  // One group commit: every record framed into one buffer, then appended.
  void AppendGroup(std::vector<TestRecord> group) {
    std::string buffer;
    std::string payload;
    std::uint64_t offset = bytes_.size();
    for (TestRecord& r : group) {
      payload.clear();
      EncodeRecordPayload({r.sequence, r.arrival_us, r.key, r.data}, &payload);
      r.offset = FirstFragmentOffset(offset);
      offset = AppendFragments(offset, payload, &buffer);
      r.end = offset;
      records_.push_back(r);
    }
    bytes_ += buffer;
  }
  void Append(TestRecord record) { AppendGroup({std::move(record)}); }

  std::string& bytes() { return bytes_; }
  const std::vector<TestRecord>& records() const { return records_; }

 private:
  std::string bytes_;
  std::vector<TestRecord> records_;
};

// Payloads from 18 bytes up to ~max_data + 275, mostly small as real
// events are, with the occasional large one spanning blocks.
inline TestRecord RandomRecord(std::mt19937_64& rng, std::uint64_t sequence,
                               std::int64_t arrival_us, std::size_t max_data) {
  TestRecord r;
  r.sequence = sequence;
  r.arrival_us = arrival_us;
  r.key.resize(1 + rng() % kMaxPartitionKeyBytes);
  for (char& c : r.key) c = static_cast<char>('a' + rng() % 26);
  const std::size_t cap = rng() % 8 == 0 ? max_data : std::min<std::size_t>(max_data, 600);
  r.data.resize(cap == 0 ? 0 : rng() % (cap + 1));
  for (char& c : r.data) c = static_cast<char>(rng());
  return r;
}

// A read-only file over bytes the caller keeps alive; truncating the file
// is taking a prefix, with no copy.
class StringFile final : public base::RandomAccessFile {
 public:
  explicit StringFile(std::string_view bytes) : bytes_(bytes) {}
  base::Result<std::size_t> ReadAt(std::uint64_t offset, std::span<char> buf) const override {
    if (offset >= bytes_.size()) return std::size_t{0};
    const std::size_t n = std::min(buf.size(), bytes_.size() - static_cast<std::size_t>(offset));
    std::memcpy(buf.data(), bytes_.data() + offset, n);
    return n;
  }
  base::Result<std::uint64_t> Size() const override { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

struct ScanResult {
  std::vector<TestRecord> records;
  std::vector<Damage> damages;
  std::uint64_t last_good_end = 0;
  bool io_error = false;
};

inline ScanResult ScanFile(const base::RandomAccessFile& file, std::uint64_t start,
                           std::uint64_t end) {
  ScanResult out;
  SegmentScanner scanner(file, start, end);
  ScannedRecord record;
  while (true) {
    auto more = scanner.Next(&record);
    if (!more) {
      out.io_error = true;
      break;
    }
    if (!*more) break;
    out.records.push_back({record.fields.sequence, record.fields.arrival_us,
                           std::string(record.fields.partition_key),
                           std::string(record.fields.data), record.offset, record.end_offset});
  }
  out.damages = scanner.damages();
  out.last_good_end = scanner.last_good_end();
  return out;
}

inline ScanResult ScanBytes(std::string_view bytes, std::uint64_t start = kSegmentHeaderBytes) {
  StringFile file(bytes);
  return ScanFile(file, start, bytes.size());
}

}  // namespace promorec::eventlog::testing
