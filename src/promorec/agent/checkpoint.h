// The agent's checkpoint: for each file it tails, the file's identity and
// path and the byte offset of the first line the server has not
// acknowledged, so that a restarted agent resends at most the batch that was
// in flight and loses nothing. A fingerprint of the file's first bytes (up
// to kHeadBytes, never past the offset) tells a file from a later one that
// happens to get the same inode number.
//
// File format, version 1 (text, one record per line, written atomically
// with base::WriteFileAtomically):
//   promorec-agent-checkpoint 1
//   file <device> <inode> <offset> <head_len> <head_hash, 16 hex> <path>
//   ...
//   crc <masked CRC-32C of every byte before this line, 8 hex>
// The path is the rest of its line with '%', '\n' and '\r' written as %25,
// %0A and %0D. Entries keep the order in which the files are read.
//
// Thread-safety: pure functions over values; Load and Save follow
// base::Env's contract.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/agent/tail_fs.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"

namespace promorec::agent {

// How many leading bytes of a file its fingerprint covers at most.
inline constexpr std::size_t kHeadBytes = 128;

struct CheckpointEntry {
  FileId id;
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t head_len = 0;  // bytes the fingerprint covers: min(offset, kHeadBytes)
  std::uint64_t head_hash = 0;

  bool operator==(const CheckpointEntry&) const = default;
};

// The fingerprint of a file's first bytes.
std::uint64_t HeadHash(std::string_view head);

std::string EncodeCheckpoint(const std::vector<CheckpointEntry>& entries);
// Corruption naming the line and what is wrong with it.
[[nodiscard]] base::Result<std::vector<CheckpointEntry>> DecodeCheckpoint(std::string_view text);

// An absent file is an empty checkpoint.
[[nodiscard]] base::Result<std::vector<CheckpointEntry>> LoadCheckpoint(base::Env& env,
                                                                        const std::string& path);
base::Status SaveCheckpoint(base::Env& env, const std::string& path,
                            const std::vector<CheckpointEntry>& entries);

}  // namespace promorec::agent
