#include "promorec/profile/profile_store.h"

#include <algorithm>
#include <limits>

#include "promorec/event/limits.h"
#include "promorec/profile/snapshot_format.h"

namespace promorec::profile {

void ProfileStore::Codec::Encode(std::string_view user_id, const Profile& profile,
                                 std::string* out) {
  AppendSnapshotRecord(user_id, profile, out);
}

bool ProfileStore::Apply(const event::ClickEvent& event) {
  if (event.user_id.empty() || event.user_id.size() > event::kMaxIdBytes) return false;
  profiles_.Update(event.user_id, [&event](Profile& profile) { ApplyEvent(event, &profile); });
  return true;
}

std::optional<Profile> ProfileStore::Lookup(std::string_view user_id) const {
  return profiles_.Read(user_id, [](const Profile* profile) -> std::optional<Profile> {
    if (profile == nullptr) return std::nullopt;
    return *profile;
  });
}

std::size_t ProfileStore::DropLastSeenBefore(std::int64_t cutoff_us, std::int64_t* oldest_kept_us) {
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  const std::size_t dropped =
      profiles_.EraseIf([cutoff_us, &oldest](std::string_view, const Profile& profile) {
        if (profile.last_seen_us < cutoff_us) return true;
        oldest = std::min(oldest, profile.last_seen_us);
        return false;
      });
  if (oldest_kept_us != nullptr) *oldest_kept_us = oldest;
  return dropped;
}

std::size_t ProfileStore::size() const { return profiles_.size(); }

base::Result<std::uint64_t> ProfileStore::Snapshot(base::Env& env, const std::string& path,
                                                   std::span<const std::uint64_t> positions) {
  std::string bytes;
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t records, EncodeSnapshot(positions, &bytes));
  PROMOREC_RETURN_IF_ERROR(WriteSnapshot(env, path, bytes));
  return records;
}

base::Result<std::uint64_t> ProfileStore::EncodeSnapshot(std::span<const std::uint64_t> positions,
                                                         std::string* out) {
  BeginSnapshot();
  return EncodeBegunSnapshot(positions, out);
}

void ProfileStore::BeginSnapshot() { snapshot_profiles_ = profiles_.BeginSnapshot(); }

base::Result<std::uint64_t> ProfileStore::EncodeBegunSnapshot(
    std::span<const std::uint64_t> positions, std::string* out) {
  out->clear();
  // A first guess at the size saves most of the regrowing.
  constexpr std::size_t kGuessBytesPerProfile = 100;
  out->reserve(snapshot_profiles_ * kGuessBytesPerProfile);
  AppendSnapshotHeader(out);
  const std::uint64_t records = profiles_.EncodeBegunSnapshot(out);
  if (positions.size() > kMaxSnapshotPositions) {
    return base::InvalidArgument("a profile snapshot holds at most " +
                                 std::to_string(kMaxSnapshotPositions) + " positions");
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
  for (auto& [user, profile] : contents.profiles)
    profiles_.Assign(std::move(user), std::move(profile));
  return SnapshotInfo{contents.profiles.size(), std::move(contents.positions)};
}

}  // namespace promorec::profile
