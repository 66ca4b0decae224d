#include "promorec/pipeline/dedup_format.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "promorec/base/crc32c.h"
#include "promorec/pipeline/dedup_io.h"

namespace promorec::pipeline {
namespace {

using dedup_io::Bad;
using dedup_io::ChecksumMismatch;
using dedup_io::GetU32;
using dedup_io::GetU64;
using dedup_io::Hex32;
using dedup_io::Hex64;
using dedup_io::PutU32;
using dedup_io::PutU64;
using dedup_io::VersionError;

bool IsPowerOfTwo(std::uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

std::uint64_t SealedHomeSlots(std::uint64_t count) {
  const std::uint64_t homes = (count * 100 + kSealedLoadPercent - 1) / kSealedLoadPercent;
  return homes == 0 ? 1 : homes;
}

bool ValidOpenHomeSlots(std::uint64_t count, std::uint64_t home_slots) {
  if (home_slots < kOpenInitialHomeSlots || home_slots % kOpenInitialHomeSlots != 0) return false;
  if (!IsPowerOfTwo(home_slots / kOpenInitialHomeSlots)) return false;
  if (count * 100 > home_slots * kOpenMaxLoadPercent) return false;
  // A table doubles only when the next id would overfill it, so one past
  // its first size was once too full at half this size: a header that
  // claims more (a huge table for a few ids) is damage, and restoring it
  // would allocate the claim.
  return home_slots == kOpenInitialHomeSlots ||
         (count + 1) * 100 > (home_slots / 2) * kOpenMaxLoadPercent;
}

std::uint64_t SegmentFileBytes(std::uint64_t count) {
  return kSegmentHeaderBytes + 8 * count +
         4 * ((count + kFingerprintsPerBlock - 1) / kFingerprintsPerBlock);
}

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  std::string out;
  out.reserve(kSegmentHeaderBytes);
  out.append(kSegmentMagic);
  PutU32(&out, kDedupFormatVersion);
  PutU32(&out, static_cast<std::uint32_t>(header.kind));
  PutU32(&out, header.shard);
  PutU32(&out, header.data_crc);
  PutU64(&out, header.segment_id);
  PutU64(&out, static_cast<std::uint64_t>(header.bucket));
  PutU64(&out, header.count);
  PutU64(&out, header.home_slots);
  PutU32(&out, 0);
  PutU32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

base::Result<SegmentHeader> DecodeSegmentHeader(std::string_view bytes, std::string_view source) {
  constexpr std::string_view kWhere = "header";
  if (bytes.size() < kSegmentHeaderBytes) {
    return Bad(source, kWhere,
               "the file has " + std::to_string(bytes.size()) + " bytes, a header needs " +
                   std::to_string(kSegmentHeaderBytes));
  }
  const char* p = bytes.data();
  if (bytes.substr(0, 8) != kSegmentMagic) {
    return Bad(source, kWhere, "bad magic (not a dedup segment file)");
  }
  const std::uint32_t stored = GetU32(p + 60);
  const std::uint32_t computed = base::Crc32cMask(base::Crc32c(bytes.substr(0, 60)));
  if (stored != computed) return Bad(source, kWhere, ChecksumMismatch(stored, computed));
  const std::uint32_t version = GetU32(p + 8);
  if (version != kDedupFormatVersion)
    return Bad(source, kWhere, VersionError(version, kDedupFormatVersion));
  SegmentHeader header;
  const std::uint32_t kind = GetU32(p + 12);
  if (kind != 1 && kind != 2) {
    return Bad(source, kWhere, "kind " + std::to_string(kind) + " is not 1 (sealed) or 2 (open)");
  }
  header.kind = static_cast<SegmentKind>(kind);
  header.shard = GetU32(p + 16);
  header.data_crc = GetU32(p + 20);
  header.segment_id = GetU64(p + 24);
  header.bucket = static_cast<std::int64_t>(GetU64(p + 32));
  header.count = GetU64(p + 40);
  header.home_slots = GetU64(p + 48);
  if (header.shard >= kMaxDedupShards) {
    return Bad(source, kWhere,
               "shard " + std::to_string(header.shard) + " is over the limit of " +
                   std::to_string(kMaxDedupShards - 1));
  }
  if (header.count == 0 || header.count > kMaxSegmentFingerprints) {
    return Bad(source, kWhere,
               "count " + std::to_string(header.count) + " is not in 1.." +
                   std::to_string(kMaxSegmentFingerprints));
  }
  if (header.kind == SegmentKind::kSealed && header.home_slots != SealedHomeSlots(header.count)) {
    return Bad(source, kWhere,
               "home slots " + std::to_string(header.home_slots) +
                   " do not fit a sealed segment of " + std::to_string(header.count) +
                   " fingerprints (expected " + std::to_string(SealedHomeSlots(header.count)) +
                   ")");
  }
  if (header.kind == SegmentKind::kOpen && (header.home_slots > (std::uint64_t{1} << 40) ||
                                            !ValidOpenHomeSlots(header.count, header.home_slots))) {
    return Bad(source, kWhere,
               "home slots " + std::to_string(header.home_slots) +
                   " do not fit an open segment of " + std::to_string(header.count) +
                   " fingerprints (1024 times a power of two, at most 70% full, and more than 35%"
                   " full at half the size unless 1024)");
  }
  if (GetU32(p + 56) != 0) return Bad(source, kWhere, "bytes [56, 60) are not zero");
  return header;
}

std::uint32_t ExtendFingerprintCrc(std::uint32_t crc, std::span<const std::uint64_t> fps) {
  static_assert(std::endian::native == std::endian::little);
  return base::Crc32cExtend(crc, fps.data(), fps.size_bytes());
}

void AppendSegmentBlock(std::span<const std::uint64_t> fps, std::string* out) {
  out->append(reinterpret_cast<const char*>(fps.data()), fps.size_bytes());
  PutU32(out, base::Crc32cMask(ExtendFingerprintCrc(0, fps)));
}

SegmentBodyDecoder::SegmentBodyDecoder(const SegmentHeader& header, std::string_view source)
    : header_(header), source_(source) {}

std::size_t SegmentBodyDecoder::next_block_bytes() const {
  const std::uint64_t left = header_.count - decoded_;
  if (left == 0) return 0;
  return static_cast<std::size_t>(std::min<std::uint64_t>(left, kFingerprintsPerBlock) * 8 + 4);
}

base::Result<std::span<const std::uint64_t>> SegmentBodyDecoder::DecodeBlock(
    std::string_view bytes) {
  const std::size_t n = (bytes.size() - 4) / 8;
  // Every block but the last is full, so the block starts where a file of
  // the fingerprints decoded so far would end.
  const std::uint64_t offset = SegmentFileBytes(decoded_);
  const std::string where =
      "block " + std::to_string(block_index_) + " at byte " + std::to_string(offset);
  block_.resize(n);
  std::memcpy(block_.data(), bytes.data(), n * 8);
  const std::uint32_t stored = GetU32(bytes.data() + n * 8);
  const std::uint32_t computed = base::Crc32cMask(ExtendFingerprintCrc(0, block_));
  if (stored != computed) return Bad(source_, where, ChecksumMismatch(stored, computed));
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t fp = block_[i];
    if (fp == 0 || fp <= previous_) [[unlikely]] {
      const std::string at = "fingerprint " + std::to_string(decoded_ + i) + " at byte " +
                             std::to_string(offset + 8 * i);
      if (fp == 0) return Bad(source_, at, "is zero");
      return Bad(source_, at,
                 Hex64(fp) + " is not above the one before (" + Hex64(previous_) + ")");
    }
    previous_ = fp;
  }
  crc_ = ExtendFingerprintCrc(crc_, block_);
  decoded_ += n;
  ++block_index_;
  return std::span<const std::uint64_t>(block_);
}

base::Status SegmentBodyDecoder::Finish() const {
  const std::uint32_t computed = base::Crc32cMask(crc_);
  if (computed != header_.data_crc) {
    return Bad(source_, "",
               "the fingerprints' checksum is " + Hex32(computed) + ", the header says " +
                   Hex32(header_.data_crc));
  }
  return base::OkStatus();
}

std::string EncodeSegmentFile(SegmentHeader header, std::span<const std::uint64_t> fingerprints) {
  header.count = fingerprints.size();
  header.data_crc = base::Crc32cMask(ExtendFingerprintCrc(0, fingerprints));
  std::string out = EncodeSegmentHeader(header);
  for (std::size_t i = 0; i < fingerprints.size(); i += kFingerprintsPerBlock) {
    AppendSegmentBlock(
        fingerprints.subspan(i, std::min(kFingerprintsPerBlock, fingerprints.size() - i)), &out);
  }
  return out;
}

base::Result<SegmentContents> DecodeSegmentFile(std::string_view bytes, std::string_view source) {
  SegmentContents contents;
  PROMOREC_ASSIGN_OR_RETURN(contents.header, DecodeSegmentHeader(bytes, source));
  const std::uint64_t expected = SegmentFileBytes(contents.header.count);
  if (bytes.size() != expected) {
    return Bad(source, "",
               "the file has " + std::to_string(bytes.size()) + " bytes, a segment of " +
                   std::to_string(contents.header.count) + " fingerprints has " +
                   std::to_string(expected));
  }
  SegmentBodyDecoder decoder(contents.header, source);
  contents.fingerprints.reserve(contents.header.count);
  std::size_t at = kSegmentHeaderBytes;
  while (const std::size_t n = decoder.next_block_bytes()) {
    PROMOREC_ASSIGN_OR_RETURN(auto fps, decoder.DecodeBlock(bytes.substr(at, n)));
    contents.fingerprints.insert(contents.fingerprints.end(), fps.begin(), fps.end());
    at += n;
  }
  PROMOREC_RETURN_IF_ERROR(decoder.Finish());
  return contents;
}

}  // namespace promorec::pipeline
