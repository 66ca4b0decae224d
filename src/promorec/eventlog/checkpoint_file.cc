#include "promorec/eventlog/checkpoint_file.h"

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"

namespace promorec::eventlog {
namespace {

constexpr std::string_view kCheckpointMagic = "PROMOCKP";
constexpr std::uint32_t kCheckpointVersion = 1;
constexpr std::size_t kCheckpointBytes = 40;
constexpr std::size_t kCrcOffset = 36;

}  // namespace

std::string EncodeCheckpoint(const Checkpoint& checkpoint) {
  std::string out;
  out.reserve(kCheckpointBytes);
  out.append(kCheckpointMagic);
  PutFixed32(&out, kCheckpointVersion);
  PutFixed32(&out, checkpoint.shard);
  PutFixed64(&out, checkpoint.sequence);
  PutFixed64(&out, static_cast<std::uint64_t>(checkpoint.updated_us));
  PutFixed32(&out, 0);
  PutFixed32(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

base::Result<Checkpoint> DecodeCheckpoint(std::string_view bytes) {
  if (bytes.size() != kCheckpointBytes) {
    return base::Corruption("checkpoint is " + std::to_string(bytes.size()) + " bytes, expected " +
                            std::to_string(kCheckpointBytes));
  }
  if (bytes.substr(0, kCheckpointMagic.size()) != kCheckpointMagic) {
    return base::Corruption("checkpoint has no PROMOCKP magic");
  }
  if (base::Crc32cUnmask(GetFixed32(bytes.data() + kCrcOffset)) !=
      base::Crc32c(bytes.substr(0, kCrcOffset))) {
    return base::Corruption("checkpoint CRC mismatch");
  }
  const std::uint32_t version = GetFixed32(bytes.data() + 8);
  if (version != kCheckpointVersion) {
    return base::Corruption("checkpoint format version " + std::to_string(version) +
                            " is not supported (this build reads version " +
                            std::to_string(kCheckpointVersion) + ")");
  }
  // Zero in version 1; anything else is a file this build does not
  // understand, and accepting it would make re-encoding lossy.
  if (GetFixed32(bytes.data() + 32) != 0) {
    return base::Corruption("checkpoint bytes [32, 36) are not zero");
  }
  Checkpoint checkpoint;
  checkpoint.shard = GetFixed32(bytes.data() + 12);
  checkpoint.sequence = GetFixed64(bytes.data() + 16);
  checkpoint.updated_us = static_cast<std::int64_t>(GetFixed64(bytes.data() + 24));
  return checkpoint;
}

base::Status WriteCheckpointFile(base::Env& env, const std::string& path,
                                 const Checkpoint& checkpoint) {
  // WriteFileAtomically writes `<path>.tmp` (so `shard-0000.ckpt.tmp`, the
  // name the format gives), syncs it, renames it and syncs the directory.
  return base::WriteFileAtomically(env, path, EncodeCheckpoint(checkpoint));
}

base::Result<std::optional<Checkpoint>> ReadCheckpointFile(base::Env& env,
                                                           const std::string& path) {
  auto bytes = base::ReadFileToString(env, path);
  if (!bytes) {
    if (bytes.error().code() == base::Code::kNotFound) return std::optional<Checkpoint>();
    return std::unexpected(bytes.error());
  }
  auto checkpoint = DecodeCheckpoint(*bytes);
  if (!checkpoint) return std::unexpected(checkpoint.error().WithContext(path));
  return std::optional<Checkpoint>(*checkpoint);
}

}  // namespace promorec::eventlog
