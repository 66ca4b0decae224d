// The profile snapshot file (docs/formats/profile-snapshot.md): a header,
// one checksummed record per profile, and a trailer with the record count
// and the stream positions the profiles cover. This is the format's only
// encoder and parser; ProfileStore does the file handling.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/profile/profile.h"

namespace promorec::profile {

inline constexpr std::string_view kSnapshotMagic = "PROFILES";
inline constexpr std::uint32_t kSnapshotVersion = 1;
inline constexpr std::size_t kSnapshotHeaderBytes = 16;
inline constexpr std::size_t kMaxSnapshotPayloadBytes = 4096;
inline constexpr std::size_t kMaxSnapshotPositions = 4096;
inline constexpr std::size_t kMaxSnapshotStringBytes = 256;

void AppendSnapshotHeader(std::string* out);
// `user_id` must be 1..256 bytes and every string of `profile` at most 256
// (ApplyEvent keeps them so); events >= 1, clicks <= events, first seen <=
// last seen, or the parser refuses the file.
void AppendSnapshotRecord(std::string_view user_id, const Profile& profile, std::string* out);
// At most kMaxSnapshotPositions positions.
void AppendSnapshotTrailer(std::uint64_t records, std::span<const std::uint64_t> positions,
                           std::string* out);

struct SnapshotContents {
  std::vector<std::pair<std::string, Profile>> profiles;
  std::vector<std::uint64_t> positions;

  friend bool operator==(const SnapshotContents&, const SnapshotContents&) = default;
};

// The whole file; Corruption "SOURCE: WHERE: WHY" on the first problem.
[[nodiscard]] base::Result<SnapshotContents> ParseProfileSnapshot(std::string_view data,
                                                                  std::string_view source);

}  // namespace promorec::profile
