// The user profile store: one Profile per shopper, built by applying their
// events, looked up when recommending, and saved to / loaded from a
// snapshot file (docs/formats/profile-snapshot.md) through an Env.
//
// Thread-safety: every method may be called from many threads at once.
// Profiles are spread over kShards shards by a hash of the user id, each
// with its own mutex, so writers to different shards never wait for each
// other and there is no store-wide lock. Snapshot visits the shards one
// after another: each profile in it is whole, but events applied while it
// runs may or may not be in it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/profile/profile.h"

namespace promorec::profile {

struct SnapshotInfo {
  std::uint64_t profiles = 0;
  // What the writer stored with the profiles (serve: the next sequence
  // number of each shard of the clicks stream).
  std::vector<std::uint64_t> positions;
};

class ProfileStore {
 public:
  static constexpr std::size_t kShards = 64;

  ProfileStore() = default;
  ProfileStore(const ProfileStore&) = delete;
  ProfileStore& operator=(const ProfileStore&) = delete;

  // Folds `event` into its user's profile (ApplyEvent), creating it. False,
  // and nothing changes, when the user id is empty or over
  // event::kMaxIdBytes.
  bool Apply(const event::ClickEvent& event);
  std::optional<Profile> Lookup(std::string_view user_id) const;
  // How many users have a profile.
  std::size_t size() const;
  // Drops the profiles whose latest event is before `cutoff_us`; returns
  // how many. With `oldest_kept_us`, also the earliest last-seen time of the
  // profiles kept (the largest int64 when none is).
  std::size_t DropLastSeenBefore(std::int64_t cutoff_us, std::int64_t* oldest_kept_us = nullptr);

  // Writes every profile and `positions` (at most kMaxSnapshotPositions) to
  // `path`: to `path`.tmp first, synced, then renamed over `path` and the
  // directory synced, so a crash leaves the old file or the new one.
  // Creates the directory. Returns the number of profiles written.
  [[nodiscard]] base::Result<std::uint64_t> Snapshot(
      base::Env& env, const std::string& path, std::span<const std::uint64_t> positions) const;
  // Snapshot in two steps, for a caller that must not wait for the disk:
  // the snapshot's bytes in memory (returns the number of profiles) ...
  [[nodiscard]] base::Result<std::uint64_t> EncodeSnapshot(std::span<const std::uint64_t> positions,
                                                           std::string* out) const;
  // ... then, on any thread, the file as Snapshot writes it.
  [[nodiscard]] static base::Status WriteSnapshot(base::Env& env, const std::string& path,
                                                  std::string_view bytes);
  // Reads the snapshot at `path` and puts its profiles in the store,
  // replacing those of the same users. On error (Corruption naming the
  // file and the place, or the Env's error) the store is unchanged.
  [[nodiscard]] base::Result<SnapshotInfo> Load(base::Env& env, const std::string& path);

 private:
  // Lets a string_view find a key without building a string.
  struct UserHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view user_id) const {
      return std::hash<std::string_view>{}(user_id);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Profile, UserHash, std::equal_to<>> profiles;
  };

  Shard& ShardOf(std::string_view user_id);
  const Shard& ShardOf(std::string_view user_id) const;

  std::array<Shard, kShards> shards_;
};

}  // namespace promorec::profile
