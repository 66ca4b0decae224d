#include "promorec/eventlog/segment_format.h"

#include <algorithm>
#include <array>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"

namespace promorec::eventlog {
namespace {

constexpr std::size_t kHeaderCrcOffset = 60;
constexpr std::size_t kHeaderReservedOffset = 32;
// Sequence number and arrival time, ahead of the key length.
constexpr std::size_t kRecordFixedBytes = 16;

std::string Hex32(std::uint32_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kDigits[(value >> shift) & 0xF]);
  return out;
}

}  // namespace

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  std::string out;
  out.reserve(kSegmentHeaderBytes);
  out.append(kSegmentMagic);
  PutFixed32(&out, kSegmentVersion);
  PutFixed32(&out, header.shard);
  PutFixed64(&out, header.first_sequence);
  PutFixed64(&out, static_cast<std::uint64_t>(header.created_us));
  out.append(kHeaderCrcOffset - kHeaderReservedOffset, '\0');
  PutFixed32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

base::Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes) {
  // Callers may pass more than the header (the start of the file); only the
  // first 64 bytes are the header.
  if (bytes.size() < kSegmentHeaderBytes) {
    return base::Corruption("segment header is " + std::to_string(bytes.size()) + " bytes, needs " +
                            std::to_string(kSegmentHeaderBytes));
  }
  bytes = bytes.substr(0, kSegmentHeaderBytes);
  if (bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return base::Corruption("segment header has no PROMOSEG magic");
  }
  const std::uint32_t stored = base::Crc32cUnmask(GetFixed32(bytes.data() + kHeaderCrcOffset));
  const std::uint32_t actual = base::Crc32c(bytes.substr(0, kHeaderCrcOffset));
  if (stored != actual) {
    return base::Corruption("segment header CRC mismatch: stored " + Hex32(stored) + ", computed " +
                            Hex32(actual));
  }
  const std::uint32_t version = GetFixed32(bytes.data() + 8);
  if (version != kSegmentVersion) {
    return base::Corruption("segment format version " + std::to_string(version) +
                            " is not supported (this build reads version " +
                            std::to_string(kSegmentVersion) + ")");
  }
  const std::string_view reserved =
      bytes.substr(kHeaderReservedOffset, kHeaderCrcOffset - kHeaderReservedOffset);
  if (std::any_of(reserved.begin(), reserved.end(), [](char c) { return c != '\0'; })) {
    return base::Corruption("segment header bytes [32, 60) are not zero");
  }
  SegmentHeader header;
  header.shard = GetFixed32(bytes.data() + 12);
  header.first_sequence = GetFixed64(bytes.data() + 16);
  header.created_us = static_cast<std::int64_t>(GetFixed64(bytes.data() + 24));
  return header;
}

void EncodeRecordPayload(const RecordFields& record, std::string* out) {
  PutFixed64(out, record.sequence);
  PutFixed64(out, static_cast<std::uint64_t>(record.arrival_us));
  std::size_t length = record.partition_key.size();
  while (length >= 0x80) {
    out->push_back(static_cast<char>((length & 0x7F) | 0x80));
    length >>= 7;
  }
  out->push_back(static_cast<char>(length));
  out->append(record.partition_key);
  out->append(record.data);
}

base::Result<RecordFields> DecodeRecordPayload(std::string_view payload) {
  if (payload.size() < kRecordFixedBytes + 2) {
    return base::Corruption("record payload is " + std::to_string(payload.size()) +
                            " bytes, shorter than the smallest record (18)");
  }
  RecordFields record;
  record.sequence = GetFixed64(payload.data());
  record.arrival_us = static_cast<std::int64_t>(GetFixed64(payload.data() + 8));
  // The key length is at most 256: one or two varint bytes. The size check
  // above guarantees both can be read.
  std::size_t pos = kRecordFixedBytes;
  const auto low = static_cast<unsigned char>(payload[pos++]);
  std::size_t key_length = low & 0x7Fu;
  if ((low & 0x80) != 0) {
    const auto high = static_cast<unsigned char>(payload[pos++]);
    if ((high & 0x80) != 0) return base::Corruption("partition key length varint is over 2 bytes");
    if (high == 0) return base::Corruption("partition key length is an overlong varint");
    key_length |= static_cast<std::size_t>(high) << 7;
  }
  if (key_length == 0 || key_length > kMaxPartitionKeyBytes) {
    return base::Corruption("partition key length " + std::to_string(key_length) +
                            " is outside 1.." + std::to_string(kMaxPartitionKeyBytes));
  }
  if (key_length > payload.size() - pos) {
    return base::Corruption("partition key of " + std::to_string(key_length) +
                            " bytes runs past the end of the " + std::to_string(payload.size()) +
                            "-byte payload");
  }
  record.partition_key = payload.substr(pos, key_length);
  record.data = payload.substr(pos + key_length);
  if (record.data.size() > kMaxRecordDataBytes) {
    return base::Corruption("record data is " + std::to_string(record.data.size()) +
                            " bytes, above the 16 MiB limit");
  }
  return record;
}

std::uint64_t BlockStart(std::uint64_t offset) {
  if (offset < kSegmentHeaderBytes) return kSegmentHeaderBytes;
  return offset - (offset - kSegmentHeaderBytes) % kBlockBytes;
}

std::uint64_t FirstFragmentOffset(std::uint64_t file_offset) {
  const std::uint64_t block_end = BlockStart(file_offset) + kBlockBytes;
  return block_end - file_offset < kFragmentHeaderBytes ? block_end : file_offset;
}

std::uint64_t AppendFragments(std::uint64_t file_offset, std::string_view payload,
                              std::string* out) {
  bool first = true;
  do {
    std::uint64_t left = BlockStart(file_offset) + kBlockBytes - file_offset;
    if (left < kFragmentHeaderBytes) {
      out->append(left, '\0');
      file_offset += left;
      left = kBlockBytes;
    }
    // Exactly 7 bytes left gives an empty FIRST fragment, as in LevelDB:
    // simpler than a second padding rule, and the reader needs no special case.
    const std::size_t length = static_cast<std::size_t>(
        std::min<std::uint64_t>(payload.size(), left - kFragmentHeaderBytes));
    const bool last = length == payload.size();
    const FragmentType type = first && last ? FragmentType::kFull
                              : first       ? FragmentType::kFirst
                              : last        ? FragmentType::kLast
                                            : FragmentType::kMiddle;
    const auto type_byte = static_cast<char>(type);
    std::uint32_t crc = base::Crc32cExtend(0, &type_byte, 1);
    crc = base::Crc32cExtend(crc, payload.data(), length);
    PutFixed32(out, base::Crc32cMask(crc));
    out->push_back(static_cast<char>(length & 0xFF));
    out->push_back(static_cast<char>(length >> 8));
    out->push_back(type_byte);
    out->append(payload.substr(0, length));
    payload.remove_prefix(length);
    file_offset += kFragmentHeaderBytes + length;
    first = false;
  } while (!payload.empty());
  return file_offset;
}

}  // namespace promorec::eventlog
