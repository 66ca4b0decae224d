// libFuzzer target for reading segment files: the scanner, the segment
// header and the .idx decoder. Each input is used three ways:
//  - as bytes on disk: the body after a valid 64-byte header (or, when it
//    starts with PROMOSEG, a whole segment file), scanned through a MemEnv
//    file. The scanner must not crash, must return only records that
//    decode, in increasing sequence order, and must report damage only
//    inside the file, never overlapping a returned record;
//  - as a recipe for records that AppendFragments writes, cut at a chosen
//    length and optionally hit by one changed byte. Random bytes almost
//    never carry valid CRCs, so this is what reaches the fragment assembly.
//    Cut files must give back exactly the records before the cut;
//  - as a body again, with every fragment CRC made right, to reach the
//    checks of fragment order and record contents behind the CRCs;
//  - with its magic and CRC forced, as a segment header and as an index:
//    whatever decodes must encode back to the same bytes.
// Seed corpus: tests/corpus/eventlog/.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/crc32c.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/byte_io.h"
#include "promorec/eventlog/segment_index.h"
#include "promorec/eventlog/segment_test_util.h"

namespace {

using promorec::eventlog::Damage;
using promorec::eventlog::kSegmentHeaderBytes;
using promorec::eventlog::testing::ScanResult;
using promorec::eventlog::testing::TestRecord;
namespace eventlog = promorec::eventlog;
namespace base = promorec::base;

void Require(bool ok) {
  if (!ok) std::abort();
}

// Invariants that hold for any file: what was returned decoded (it has a
// key of legal length), sequence numbers grow, and damage lies inside the
// file, in order, apart from the records.
void CheckScan(const ScanResult& scan, std::uint64_t start, std::uint64_t size) {
  Require(!scan.io_error);
  std::uint64_t previous_end = start;
  bool first = true;
  std::uint64_t previous_sequence = 0;
  for (const TestRecord& r : scan.records) {
    Require(!r.key.empty() && r.key.size() <= eventlog::kMaxPartitionKeyBytes);
    Require(first || r.sequence > previous_sequence);
    Require(r.offset >= previous_end && r.end > r.offset && r.end <= size);
    std::string payload;
    eventlog::EncodeRecordPayload({r.sequence, r.arrival_us, r.key, r.data}, &payload);
    Require(eventlog::DecodeRecordPayload(payload).has_value());
    previous_end = r.end;
    previous_sequence = r.sequence;
    first = false;
  }
  Require(scan.last_good_end == (scan.records.empty() ? start : scan.records.back().end));
  std::uint64_t damage_end = start;
  for (const Damage& d : scan.damages) {
    Require(d.offset >= damage_end && d.offset + d.length <= size && !d.what.empty());
    damage_end = d.offset + d.length;
    for (const TestRecord& r : scan.records) Require(r.end <= d.offset || r.offset >= damage_end);
  }
}

void ScanOnDisk(std::string_view input) {
  std::string file_bytes;
  if (input.starts_with(eventlog::kSegmentMagic)) {
    file_bytes = input;
    (void)eventlog::DecodeSegmentHeader(file_bytes);
  } else {
    file_bytes = eventlog::EncodeSegmentHeader({0, 1, 0});
    file_bytes += input;
  }
  if (file_bytes.size() < kSegmentHeaderBytes) return;
  auto env = base::NewMemEnv();
  {
    auto file = env->NewWritableFile("/seg");
    Require(file.has_value() && (*file)->Append(file_bytes).has_value() &&
            (*file)->Close().has_value());
  }
  auto file = env->NewRandomAccessFile("/seg");
  Require(file.has_value());
  const std::uint64_t size = file_bytes.size();
  CheckScan(eventlog::testing::ScanFile(**file, kSegmentHeaderBytes, size), kSegmentHeaderBytes,
            size);
  // Starting anywhere is outside the contract, but must still be safe.
  if (size > kSegmentHeaderBytes) {
    const std::uint64_t start = kSegmentHeaderBytes + static_cast<std::uint8_t>(file_bytes[0]) %
                                                          (size - kSegmentHeaderBytes);
    CheckScan(eventlog::testing::ScanFile(**file, start, size), start, size);
  }
}

// The body with every fragment's CRC made right, walking it the way the
// scanner does, so that types, lengths and payloads are what gets tested.
std::string ResealFragments(std::string_view input) {
  std::string body(input);
  std::uint64_t at = 0;  // body offset; the file offset is 64 more
  while (at + eventlog::kFragmentHeaderBytes <= body.size()) {
    const std::uint64_t block_left = eventlog::kBlockBytes - at % eventlog::kBlockBytes;
    if (block_left < eventlog::kFragmentHeaderBytes) {
      at += block_left;
      continue;
    }
    const std::size_t offset = static_cast<std::size_t>(at);
    const std::size_t length =
        static_cast<std::uint8_t>(body[offset + 4]) |
        (static_cast<std::size_t>(static_cast<std::uint8_t>(body[offset + 5])) << 8);
    const std::size_t typed =
        1 + std::min(length, body.size() - offset - eventlog::kFragmentHeaderBytes);
    std::string crc;
    eventlog::PutFixed32(
        &crc, base::Crc32cMask(base::Crc32c(std::string_view(body).substr(offset + 6, typed))));
    body.replace(offset, 4, crc);
    at += std::min<std::uint64_t>(eventlog::kFragmentHeaderBytes + length, block_left);
  }
  return body;
}

void ScanWritten(std::string_view input) {
  FuzzedDataProvider in(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  eventlog::testing::SegmentBuilder builder;
  std::uint64_t sequence = 1;
  const int groups = in.ConsumeIntegralInRange(1, 8);
  // A few blocks are enough to reach every path; more only slows the run.
  constexpr std::size_t kMaxFileBytes = 200'000;
  for (int g = 0; g < groups && in.remaining_bytes() > 0 && builder.bytes().size() < kMaxFileBytes;
       ++g) {
    std::vector<TestRecord> group;
    for (int n = in.ConsumeIntegralInRange(1, 6); n > 0; --n) {
      TestRecord r;
      sequence += in.ConsumeIntegralInRange<std::uint64_t>(1, 3);
      r.sequence = sequence;
      r.arrival_us = in.ConsumeIntegral<std::int64_t>();
      r.key = std::string(in.ConsumeIntegralInRange<std::size_t>(1, 256), 'k');
      // Long runs of one byte keep inputs small while records span blocks.
      const auto fill = in.ConsumeIntegral<char>();
      r.data = in.ConsumeRandomLengthString(64) +
               std::string(in.ConsumeIntegralInRange<std::size_t>(0, 40'000), fill);
      group.push_back(std::move(r));
    }
    builder.AppendGroup(std::move(group));
  }
  std::string& bytes = builder.bytes();
  const auto& written = builder.records();
  const std::uint64_t cut =
      in.ConsumeIntegralInRange<std::uint64_t>(kSegmentHeaderBytes, bytes.size());
  const bool change = in.ConsumeBool();
  const std::uint64_t at = in.ConsumeIntegralInRange<std::uint64_t>(0, bytes.size() - 1);
  const auto delta = in.ConsumeIntegralInRange<std::uint8_t>(1, 255);
  bytes.resize(cut);
  if (change && at < cut) {
    bytes[at] = static_cast<char>(static_cast<std::uint8_t>(bytes[at]) ^ delta);
  }
  const ScanResult scan = eventlog::testing::ScanBytes(bytes);
  CheckScan(scan, kSegmentHeaderBytes, cut);
  if (change && at < cut) {
    // A CRC-32C catches every change of one byte, so what comes back is
    // still what was written.
    std::size_t next = 0;
    for (const TestRecord& r : scan.records) {
      while (next < written.size() && written[next].offset < r.offset) ++next;
      Require(next < written.size() && written[next] == r);
    }
    return;
  }
  std::vector<TestRecord> complete;
  for (const TestRecord& r : written) {
    if (r.end <= cut) complete.push_back(r);
  }
  Require(scan.records == complete);
  // A seek through the block index lands at or before the record sought.
  if (!complete.empty()) {
    eventlog::SegmentIndex index;
    for (const TestRecord& r : complete) index.Add(r.sequence, r.arrival_us, r.offset);
    const TestRecord& sought = complete[static_cast<std::size_t>(at % complete.size())];
    const ScanResult from =
        eventlog::testing::ScanBytes(bytes, index.SeekSequence(sought.sequence));
    Require(from.damages.size() == scan.damages.size());
    Require(!from.records.empty() && from.records.front().sequence <= sought.sequence &&
            from.records.back() == complete.back());
  }
  const bool clean_end = cut == scan.last_good_end;
  Require(clean_end ? scan.damages.empty()
                    : scan.damages.size() == 1 && scan.damages[0].what.starts_with("torn tail: "));
}

// Forces the magic and the CRC so that the fields behind them are reached.
std::string Sealed(std::string_view magic, std::string_view input, std::size_t size) {
  std::string bytes(magic);
  bytes += input.substr(0, size - magic.size() - 4);
  bytes.resize(size - 4, '\0');
  eventlog::PutFixed32(&bytes, base::Crc32cMask(base::Crc32c(bytes)));
  return bytes;
}

void DecodeSealed(std::string_view input) {
  const std::string header = Sealed(eventlog::kSegmentMagic, input, kSegmentHeaderBytes);
  if (auto decoded = eventlog::DecodeSegmentHeader(header)) {
    Require(eventlog::EncodeSegmentHeader(*decoded) == header);
  }
  // An index of however many whole entries the input holds.
  const std::size_t entries = input.size() / 24;
  std::string index = Sealed("PROMOIDX", input, 40 + 24 * entries + 4);
  const std::string count = [&] {
    std::string out;
    eventlog::PutFixed32(&out, static_cast<std::uint32_t>(entries));
    return out;
  }();
  index.replace(12, 4, count);
  index = Sealed("", index, index.size());
  for (const std::string& bytes : {std::string(input), index}) {
    if (auto decoded = eventlog::SegmentIndex::Decode(bytes)) {
      Require(decoded->index.Encode(decoded->first_sequence, decoded->last_sequence,
                                    decoded->covered_bytes) == bytes);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ScanOnDisk(input);
  if (!input.starts_with(eventlog::kSegmentMagic)) ScanOnDisk(ResealFragments(input));
  ScanWritten(input);
  DecodeSealed(input);
  return 0;
}
