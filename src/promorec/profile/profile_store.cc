#include "promorec/profile/profile_store.h"

#include <algorithm>
#include <limits>

#include "promorec/base/hash.h"
#include "promorec/event/limits.h"
#include "promorec/profile/snapshot_format.h"

namespace promorec::profile {

ProfileStore::Shard& ProfileStore::ShardOf(std::string_view user_id) {
  return shards_[base::Hash64(user_id) % kShards];
}

const ProfileStore::Shard& ProfileStore::ShardOf(std::string_view user_id) const {
  return shards_[base::Hash64(user_id) % kShards];
}

bool ProfileStore::Apply(const event::ClickEvent& event) {
  if (event.user_id.empty() || event.user_id.size() > event::kMaxIdBytes) return false;
  Shard& shard = ShardOf(event.user_id);
  const std::lock_guard lock(shard.mutex);
  auto it = shard.profiles.find(event.user_id);
  if (it == shard.profiles.end()) it = shard.profiles.try_emplace(event.user_id).first;
  ApplyEvent(event, &it->second);
  return true;
}

std::optional<Profile> ProfileStore::Lookup(std::string_view user_id) const {
  const Shard& shard = ShardOf(user_id);
  const std::lock_guard lock(shard.mutex);
  const auto it = shard.profiles.find(user_id);
  if (it == shard.profiles.end()) return std::nullopt;
  return it->second;
}

std::size_t ProfileStore::DropLastSeenBefore(std::int64_t cutoff_us, std::int64_t* oldest_kept_us) {
  std::size_t dropped = 0;
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  for (Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    dropped += std::erase_if(shard.profiles, [cutoff_us, &oldest](const auto& entry) {
      if (entry.second.last_seen_us < cutoff_us) return true;
      oldest = std::min(oldest, entry.second.last_seen_us);
      return false;
    });
  }
  if (oldest_kept_us != nullptr) *oldest_kept_us = oldest;
  return dropped;
}

std::size_t ProfileStore::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    total += shard.profiles.size();
  }
  return total;
}

base::Result<std::uint64_t> ProfileStore::Snapshot(base::Env& env, const std::string& path,
                                                   std::span<const std::uint64_t> positions) const {
  std::string bytes;
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t records, EncodeSnapshot(positions, &bytes));
  PROMOREC_RETURN_IF_ERROR(WriteSnapshot(env, path, bytes));
  return records;
}

base::Result<std::uint64_t> ProfileStore::EncodeSnapshot(std::span<const std::uint64_t> positions,
                                                         std::string* out) const {
  if (positions.size() > kMaxSnapshotPositions) {
    return base::InvalidArgument("a profile snapshot holds at most " +
                                 std::to_string(kMaxSnapshotPositions) + " positions");
  }
  out->clear();
  AppendSnapshotHeader(out);
  std::uint64_t records = 0;
  for (const Shard& shard : shards_) {
    const std::lock_guard lock(shard.mutex);
    if (records == 0) {
      // A first guess at the size saves most of the regrowing.
      constexpr std::size_t kGuessBytesPerProfile = 160;
      out->reserve(shard.profiles.size() * kShards * kGuessBytesPerProfile);
    }
    for (const auto& [user, profile] : shard.profiles) AppendSnapshotRecord(user, profile, out);
    records += shard.profiles.size();
  }
  AppendSnapshotTrailer(records, positions, out);
  return records;
}

base::Status ProfileStore::WriteSnapshot(base::Env& env, const std::string& path,
                                         std::string_view bytes) {
  const std::string dir = base::ParentDir(path);
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(dir));
  const std::string tmp = path + ".tmp";
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(tmp));
  base::Status status = file->Append(bytes);
  if (status) status = file->Sync();
  if (status) status = file->Close();
  if (status) status = env.RenameFile(tmp, path);
  if (!status) {
    (void)env.RemoveFile(tmp);
    return std::unexpected(std::move(status).error().WithContext("profile snapshot " + path));
  }
  return env.SyncDir(dir);
}

base::Result<SnapshotInfo> ProfileStore::Load(base::Env& env, const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(const std::string data, base::ReadFileToString(env, path));
  PROMOREC_ASSIGN_OR_RETURN(SnapshotContents contents, ParseProfileSnapshot(data, path));
  for (auto& [user, profile] : contents.profiles) {
    Shard& shard = ShardOf(user);
    const std::lock_guard lock(shard.mutex);
    shard.profiles.insert_or_assign(std::move(user), std::move(profile));
  }
  return SnapshotInfo{contents.profiles.size(), std::move(contents.positions)};
}

}  // namespace promorec::profile
