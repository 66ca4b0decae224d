// The user profiles of `promorec serve`: a profile::ProfileStore kept equal
// to the fold of the `clicks` stream. At start it loads
// DATA_DIR/profiles/snapshot (docs/formats/profile-snapshot.md) when there is
// one and applies the stream's records after the snapshot's positions (all
// of them without a snapshot); while serving, the events of each request are
// applied once they are durable; on a graceful stop the snapshot is written
// with the stream's end positions, so the next start replays only what came
// after. Records that are not binary event records (a Kinesis producer's own
// data in the stream) are skipped.
//
// Thread-safety: Apply and store() may be used from many
// threads at once. Open and Save must not run concurrently with anything
// that appends to the clicks stream (serve calls them before the server
// starts and after it stops).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"
#include "promorec/profile/profile_store.h"

namespace promorec::app {

struct ProfileStartup {
  std::uint64_t from_snapshot = 0;  // profiles loaded from the snapshot
  bool had_snapshot = false;
  std::uint64_t replayed = 0;  // events applied from the stream
  std::uint64_t skipped = 0;   // stream records that were not events
};

class ServeProfiles {
 public:
  // A damaged snapshot is an error naming the file and what is wrong (it
  // is not silently rebuilt: the stream may no longer hold every event).
  static base::Result<std::unique_ptr<ServeProfiles>> Open(
      base::Env& env, const std::string& data_dir, std::shared_ptr<eventlog::Stream> clicks);

  const profile::ProfileStore& store() const { return store_; }
  const ProfileStartup& startup() const { return startup_; }
  // "profiles: 12 users (10 from DIR/profiles/snapshot, 7 events replayed
  // from the clicks stream)".
  std::string Summary() const;

  // Events just made durable in the clicks stream (every writer of the
  // stream while serving must call this, or the profiles miss its events
  // until a start without a snapshot).
  void Apply(std::span<const event::ClickEvent> events);

  // Writes the snapshot; returns the number of profiles written.
  base::Result<std::uint64_t> Save();
  const std::string& snapshot_path() const { return snapshot_path_; }

 private:
  ServeProfiles(base::Env& env, std::string snapshot_path, std::shared_ptr<eventlog::Stream> clicks)
      : env_(env), snapshot_path_(std::move(snapshot_path)), clicks_(std::move(clicks)) {}

  base::Status Replay(std::span<const std::uint64_t> positions);

  base::Env& env_;
  std::string snapshot_path_;
  std::shared_ptr<eventlog::Stream> clicks_;
  profile::ProfileStore store_;
  ProfileStartup startup_;
};

}  // namespace promorec::app
