#include "promorec/pipeline/profile_fold.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/metrics/registry.h"

namespace promorec::pipeline {
namespace {

constexpr std::int64_t kWait = 60'000'000;  // long: the waits end when the work is done

event::ClickEvent View(std::string user, std::string country, std::int64_t timestamp_us) {
  event::ClickEvent e;
  e.user_id = std::move(user);
  e.product = "p";
  e.country = std::move(country);
  e.timestamp_us = timestamp_us;
  return e;
}

class ProfileFoldTest : public ::testing::Test {
 protected:
  ProfileFoldTest() : env_(base::NewMemEnv()) {
    auto store = eventlog::LocalStreamStore::Open(*env_, clock_, "/data/streams");
    EXPECT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    clicks_ = *ingest::OpenOrCreateStream(*store_, "clicks", 4);
    writer_ = std::make_unique<ingest::EventWriter>(clicks_, registry_);
  }

  void Append(const std::vector<event::ClickEvent>& events) {
    ASSERT_TRUE(writer_->Append(events));
  }

  std::unique_ptr<ProfileFold> Open(ProfileFoldOptions options = {}) {
    auto fold = ProfileFold::Open(*env_, clock_, "/data", clicks_, options);
    EXPECT_TRUE(fold) << fold.error().ToString();
    return fold ? std::move(*fold) : nullptr;
  }

  std::unique_ptr<base::Env> env_;
  base::FakeClock clock_{1'700'000'000'000'000};
  std::unique_ptr<eventlog::LocalStreamStore> store_;
  std::shared_ptr<eventlog::Stream> clicks_;
  metrics::Registry registry_;
  std::unique_ptr<ingest::EventWriter> writer_;
};

TEST_F(ProfileFoldTest, ReplaysTheStreamThenFoldsInWhatIsAppended) {
  Append({View("ann", "de", 1), View("bob", "fr", 2)});
  auto fold = Open();
  EXPECT_EQ(fold->startup().replayed, 2u);
  EXPECT_FALSE(fold->startup().had_snapshot);
  EXPECT_EQ(fold->store().Lookup("ann")->country, "de");

  fold->Start();
  Append({View("ann", "it", 3), View("cy", "es", 4)});
  ASSERT_TRUE(fold->WaitUntilApplied(writer_->LastAcknowledged(), kWait));
  EXPECT_EQ(fold->store().Lookup("ann")->country, "it");
  EXPECT_EQ(fold->store().Lookup("ann")->events, 2u);
  EXPECT_EQ(fold->store().Lookup("cy")->country, "es");
  EXPECT_EQ(fold->startup().replayed, 2u) << "the start-up count stays what start-up replayed";
  fold->Stop();
}

TEST_F(ProfileFoldTest, TheSnapshotHoldsTheFoldsPositionsAndTheStreamItsCheckpoint) {
  Append({View("ann", "de", 1)});
  {
    auto fold = Open();
    fold->Start();
    Append({View("bob", "fr", 2)});
    ASSERT_TRUE(fold->WaitUntilApplied(writer_->LastAcknowledged(), kWait));
    fold->Stop();
    auto saved = fold->Save();
    ASSERT_TRUE(saved) << saved.error().ToString();
    EXPECT_EQ(*saved, 2u);
  }
  auto checkpoints = clicks_->ListCheckpoints();
  ASSERT_TRUE(checkpoints);
  std::size_t profile_checkpoints = 0;
  for (const auto& c : *checkpoints) profile_checkpoints += c.consumer == kProfileConsumer;
  EXPECT_EQ(profile_checkpoints, 2u) << "one per shard that had events";

  // Events appended while nothing folds them in are replayed at the next
  // start; those in the snapshot are not applied twice.
  Append({View("ann", "it", 3)});
  auto fold = Open();
  EXPECT_TRUE(fold->startup().had_snapshot);
  EXPECT_EQ(fold->startup().from_snapshot, 2u);
  EXPECT_EQ(fold->startup().replayed, 1u);
  EXPECT_EQ(fold->store().Lookup("ann")->events, 2u);
  EXPECT_EQ(fold->store().Lookup("bob")->events, 1u);
  EXPECT_EQ(fold->Summary(),
            "profiles: 2 users (2 from /data/profiles/snapshot, 1 events replayed from the clicks "
            "stream)");
}

TEST_F(ProfileFoldTest, RecordsThatAreNotEventsAreSkipped) {
  const eventlog::PutRecord other{"k", "not an event", std::nullopt};
  ASSERT_TRUE(clicks_->Append(std::span(&other, 1)));
  Append({View("ann", "de", 1)});
  auto fold = Open();
  EXPECT_EQ(fold->startup().replayed, 1u);
  EXPECT_EQ(fold->startup().skipped, 1u);
}

// While serving, the profiles are snapshotted every interval on the clock,
// so a start after a crash (no Save) replays only what came after the last
// snapshot.
TEST_F(ProfileFoldTest, SnapshotsAreWrittenEveryIntervalWhileServing) {
  ProfileFoldOptions options;
  options.snapshot_interval_us = 60'000'000;
  {
    auto fold = Open(options);
    Append({View("ann", "de", 1), View("bob", "fr", 2)});
    // The consumer applies the events; stopped, it leaves the snapshots to
    // the test, which moves the clock.
    fold->Start();
    ASSERT_TRUE(fold->WaitUntilApplied(writer_->LastAcknowledged(), kWait));
    fold->Stop();
    EXPECT_FALSE(fold->SnapshotIfDue()) << "the interval has not passed";
    clock_.Advance(std::chrono::seconds(59));
    EXPECT_FALSE(fold->SnapshotIfDue());
    clock_.Advance(std::chrono::seconds(1));
    EXPECT_TRUE(fold->SnapshotIfDue());
    // Written on a thread of its own: the next one waits for it.
    fold->FinishSnapshot();
    EXPECT_FALSE(fold->SnapshotIfDue()) << "one snapshot per interval";
    EXPECT_EQ(fold->snapshots(), 1u);
    Append({View("cy", "es", 3)});
    // No Save: the process ends as a crash would leave it.
  }
  auto restarted = Open(options);
  EXPECT_TRUE(restarted->startup().had_snapshot);
  EXPECT_EQ(restarted->startup().from_snapshot, 2u);
  EXPECT_EQ(restarted->startup().replayed, 1u) << "only what came after the snapshot";
  EXPECT_EQ(restarted->store().size(), 3u);
}

// The consumer's own thread writes the snapshots: moving the clock past an
// interval is enough.
TEST_F(ProfileFoldTest, TheConsumerSnapshotsByItself) {
  ProfileFoldOptions options;
  options.snapshot_interval_us = 1'000'000;
  auto fold = Open(options);
  fold->Start();
  Append({View("ann", "de", 1)});
  ASSERT_TRUE(fold->WaitUntilApplied(writer_->LastAcknowledged(), kWait));
  clock_.Advance(std::chrono::seconds(2));
  // The consumer looks at the clock at least every 50 ms of real time.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (fold->snapshots() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  fold->Stop();
  EXPECT_EQ(fold->snapshots(), 1u);
  EXPECT_TRUE(*env_->FileExists("/data/profiles/snapshot"));
}

// Shoppers with no event for the TTL (before the newest event seen) are
// dropped once the next snapshot is encoded (off the pipeline's thread),
// so the snapshot after it no longer holds them; the others are kept.
TEST_F(ProfileFoldTest, ProfilesUnseenForTheTtlAreDropped) {
  constexpr std::int64_t kDay = 24 * 3'600'000'000LL;
  ProfileFoldOptions options;
  options.snapshot_interval_us = 1'000'000;
  options.profile_ttl_us = 10 * kDay;
  Append({View("old", "de", 1 * kDay), View("recent", "fr", 15 * kDay),
          View("both", "it", 2 * kDay), View("both", "it", 20 * kDay)});
  auto fold = Open(options);
  ASSERT_EQ(fold->store().size(), 3u);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(fold->SnapshotIfDue());
  fold->FinishSnapshot();
  EXPECT_EQ(fold->snapshots(), 1u);
  EXPECT_EQ(fold->expired(), 1u);
  EXPECT_FALSE(fold->store().Lookup("old").has_value()) << "last seen 19 days before the newest";
  EXPECT_TRUE(fold->store().Lookup("recent").has_value());
  EXPECT_TRUE(fold->store().Lookup("both").has_value());
  ASSERT_TRUE(fold->Save());
  fold.reset();
  auto restarted = Open(options);
  EXPECT_EQ(restarted->startup().from_snapshot, 2u) << "the snapshot holds what was kept";
}

}  // namespace
}  // namespace promorec::pipeline
