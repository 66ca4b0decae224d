// The user profiles: a profile::ProfileStore kept equal to the fold of the
// `clicks` stream by a consumer of that stream (stream_consumer.h). At
// start it loads DATA_DIR/profiles/snapshot (docs/formats/profile-snapshot.md)
// when there is one and applies the stream's records after the snapshot's
// positions (all of them without a snapshot) before anything is served;
// then its consumer applies each new record moments after it is appended,
// whoever appended it. The snapshot holds the consumer's positions, so the
// profiles and the records they reflect are saved together: Save writes it
// (on a graceful stop, after the consumer has stopped), and a start after a
// crash replays the stream from the last snapshot. Records that are not
// binary event records (a Kinesis producer's own data) are skipped.
//
// Thread-safety: store(), WaitUntilApplied and Summary may be used from
// many threads while the consumer runs. Open, Start, Stop and Save are
// called by one thread (serve's main thread).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"
#include "promorec/pipeline/stream_consumer.h"
#include "promorec/profile/profile_store.h"

namespace promorec::pipeline {

struct ProfileStartup {
  std::uint64_t from_snapshot = 0;  // profiles loaded from the snapshot
  bool had_snapshot = false;
  std::uint64_t replayed = 0;  // events applied from the stream at start
  std::uint64_t skipped = 0;   // stream records that were not events
};

// The consumer's name, also its checkpoint's in the clicks stream.
inline constexpr std::string_view kProfileConsumer = "profiles";

class ProfileFold {
 public:
  // Loads the snapshot and replays the stream after it. A damaged snapshot
  // is an error naming the file and what is wrong (it is not silently
  // rebuilt: the stream may no longer hold every event).
  [[nodiscard]] static base::Result<std::unique_ptr<ProfileFold>> Open(
      base::Env& env, const std::string& data_dir, std::shared_ptr<eventlog::Stream> clicks);

  // Applies new records as they are appended, until Stop.
  void Start() { consumer_->Start(); }
  void Stop() { consumer_->Stop(); }

  const profile::ProfileStore& store() const { return store_; }
  const ProfileStartup& startup() const { return startup_; }
  // "profiles: 12 users (10 from DIR/profiles/snapshot, 7 events replayed
  // from the clicks stream)".
  std::string Summary() const;

  // Blocks until the records up to `last` (per shard of the clicks stream;
  // see ingest::EventWriter::LastAcknowledged) are in the profiles, or
  // `timeout_us` passes; false on time-out.
  bool WaitUntilApplied(std::span<const std::uint64_t> last, std::int64_t timeout_us) const {
    return consumer_->WaitUntilPast(last, timeout_us);
  }

  // Writes the snapshot with the consumer's positions, and the consumer's
  // checkpoint in the clicks stream (which keeps retention from deleting
  // what the profiles have not yet folded in); returns the number of
  // profiles written. Call when the consumer is stopped.
  [[nodiscard]] base::Result<std::uint64_t> Save();
  const std::string& snapshot_path() const { return snapshot_path_; }

 private:
  ProfileFold(base::Env& env, std::string snapshot_path)
      : env_(env), snapshot_path_(std::move(snapshot_path)) {}

  // Runs on one thread at a time (the start-up replay, then the consumer).
  void Apply(const eventlog::ReadBatch& batch);

  base::Env& env_;
  std::string snapshot_path_;
  profile::ProfileStore store_;
  ProfileStartup startup_;
  bool replaying_ = true;    // counts into startup_ while true
  event::ClickEvent event_;  // Apply's decoding buffer
  std::unique_ptr<StreamConsumer> consumer_;
};

}  // namespace promorec::pipeline
