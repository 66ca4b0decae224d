// The user profile store: one Profile per shopper, built by applying their
// events, looked up when recommending, and saved to / loaded from a
// snapshot file (docs/formats/profile-snapshot.md) through an Env.
//
// Thread-safety: every method may be called from many threads at once.
// Profiles are spread over shards by a hash of the user id, each with its
// own mutex, so writers to different shards never wait for each other and
// there is no store-wide lock.
//
// A snapshot is of one moment (base/snapshot_map.h): BeginSnapshot marks
// it, in microseconds whatever the number of profiles, and
// EncodeBegunSnapshot, on any thread, then encodes the profiles as they
// were at that moment while events go on being applied. So the thread that
// applies the events does not stop for a snapshot of millions of profiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/snapshot_map.h"
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
  [[nodiscard]] base::Result<std::uint64_t> Snapshot(base::Env& env, const std::string& path,
                                                     std::span<const std::uint64_t> positions);
  // Snapshot in steps, for a caller that must not wait: the moment of the
  // snapshot (one snapshot at a time: until EncodeBegunSnapshot returns,
  // no other may begin) ...
  void BeginSnapshot();
  // ... the snapshot's bytes in memory, on any thread, while Apply and
  // DropLastSeenBefore go on (returns the number of profiles) ...
  [[nodiscard]] base::Result<std::uint64_t> EncodeBegunSnapshot(
      std::span<const std::uint64_t> positions, std::string* out);
  // (both at once, as Snapshot does)
  [[nodiscard]] base::Result<std::uint64_t> EncodeSnapshot(std::span<const std::uint64_t> positions,
                                                           std::string* out);
  // ... then, on any thread, the file as Snapshot writes it.
  [[nodiscard]] static base::Status WriteSnapshot(base::Env& env, const std::string& path,
                                                  std::string_view bytes);
  // Reads the snapshot at `path` and puts its profiles in the store,
  // replacing those of the same users. On error (Corruption naming the
  // file and the place, or the Env's error) the store is unchanged.
  [[nodiscard]] base::Result<SnapshotInfo> Load(base::Env& env, const std::string& path);

 private:
  struct Codec {
    // One profile's snapshot record (docs/formats/profile-snapshot.md).
    static void Encode(std::string_view user_id, const Profile& profile, std::string* out);
  };

  base::SnapshotMap<Profile, Codec> profiles_;
  std::uint64_t snapshot_profiles_ = 0;  // at the begun snapshot's mark
};

}  // namespace promorec::profile
