// The bytes of a consumer checkpoint file (docs/formats/eventlog.md) and its
// atomic replacement on disk. Thread-safety: pure functions; callers
// serialise writes to the same checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "promorec/base/env.h"
#include "promorec/base/status.h"

namespace promorec::eventlog {

struct Checkpoint {
  std::uint32_t shard = 0;
  std::uint64_t sequence = 0;  // last record the consumer finished
  std::int64_t updated_us = 0;
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
[[nodiscard]] base::Result<Checkpoint> DecodeCheckpoint(std::string_view bytes);

// Writes `path` atomically (tmp file, sync, rename, directory sync).
[[nodiscard]] base::Status WriteCheckpointFile(base::Env& env, const std::string& path,
                                               const Checkpoint& checkpoint);
// nullopt when the file does not exist; Corruption when it is damaged.
[[nodiscard]] base::Result<std::optional<Checkpoint>> ReadCheckpointFile(base::Env& env,
                                                                         const std::string& path);

}  // namespace promorec::eventlog
