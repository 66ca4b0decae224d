#include "promorec/eventlog/stream_meta.h"

#include <cstring>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"

namespace promorec::eventlog {
namespace {

constexpr std::string_view kMagic = "PROMOSTR";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kFixedBytes = 60;

}  // namespace

std::string EncodeStreamMeta(const StreamMeta& meta) {
  std::string out;
  out.reserve(kFixedBytes + meta.name.size() + 4);
  out.append(kMagic);
  PutFixed32(&out, kVersion);
  PutFixed32(&out, meta.options.shard_count);
  PutFixed64(&out, static_cast<std::uint64_t>(meta.created_us));
  PutFixed64(&out, static_cast<std::uint64_t>(meta.options.retention_us));
  PutFixed64(&out, meta.options.retention_bytes);
  out.push_back(static_cast<char>(meta.options.durability));
  out.append(3, '\0');
  PutFixed32(&out, meta.options.sync_interval_ms);
  PutFixed64(&out, meta.options.segment_bytes);
  out.push_back(static_cast<char>(meta.name.size() & 0xFF));
  out.push_back(static_cast<char>(meta.name.size() >> 8));
  out.append(2, '\0');
  out.append(meta.name);
  PutFixed32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

base::Result<StreamMeta> DecodeStreamMeta(std::string_view bytes) {
  if (bytes.size() < kFixedBytes + 4) {
    return base::Corruption("STREAM file is " + std::to_string(bytes.size()) +
                            " bytes, shorter than its fixed part");
  }
  if (bytes.substr(0, 8) != kMagic) return base::Corruption("STREAM file has a bad magic number");
  const std::uint32_t version = GetFixed32(bytes.data() + 8);
  if (version != kVersion) {
    return base::Corruption("STREAM file version " + std::to_string(version) +
                            " is not supported (this build reads 1)");
  }
  const std::size_t name_length = static_cast<unsigned char>(bytes[56]) |
                                  static_cast<std::size_t>(static_cast<unsigned char>(bytes[57]))
                                      << 8;
  if (bytes.size() != kFixedBytes + name_length + 4) {
    return base::Corruption("STREAM file size does not match its name length");
  }
  const std::uint32_t stored = GetFixed32(bytes.data() + kFixedBytes + name_length);
  if (base::Crc32cUnmask(stored) != base::Crc32c(bytes.substr(0, kFixedBytes + name_length))) {
    return base::Corruption("STREAM file checksum mismatch");
  }
  for (const std::size_t reserved : {41u, 42u, 43u, 58u, 59u}) {
    if (bytes[reserved] != '\0') {
      return base::Corruption("STREAM file has non-zero reserved byte " + std::to_string(reserved));
    }
  }
  StreamMeta meta;
  meta.options.shard_count = GetFixed32(bytes.data() + 12);
  meta.created_us = static_cast<std::int64_t>(GetFixed64(bytes.data() + 16));
  meta.options.retention_us = static_cast<std::int64_t>(GetFixed64(bytes.data() + 24));
  meta.options.retention_bytes = GetFixed64(bytes.data() + 32);
  const auto durability = static_cast<std::uint8_t>(bytes[40]);
  if (durability > static_cast<std::uint8_t>(Durability::kNone)) {
    return base::Corruption("STREAM file has an unknown durability mode " +
                            std::to_string(durability));
  }
  meta.options.durability = static_cast<Durability>(durability);
  meta.options.sync_interval_ms = GetFixed32(bytes.data() + 44);
  meta.options.segment_bytes = GetFixed64(bytes.data() + 48);
  meta.name.assign(bytes.substr(kFixedBytes, name_length));
  if (auto valid = meta.options.Validate(); !valid) {
    return base::Corruption("STREAM file holds invalid options: " + valid.error().message());
  }
  return meta;
}

base::Status WriteStreamMeta(base::Env& env, const std::string& dir, const StreamMeta& meta) {
  return base::WriteFileAtomically(env, dir + "/STREAM", EncodeStreamMeta(meta));
}

base::Result<StreamMeta> ReadStreamMeta(base::Env& env, const std::string& dir) {
  PROMOREC_ASSIGN_OR_RETURN(const std::string bytes, base::ReadFileToString(env, dir + "/STREAM"));
  auto meta = DecodeStreamMeta(bytes);
  if (!meta) return std::unexpected(meta.error().WithContext(dir + "/STREAM"));
  return meta;
}

}  // namespace promorec::eventlog
