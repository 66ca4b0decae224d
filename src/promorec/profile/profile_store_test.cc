#include "promorec/profile/profile_store.h"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/profile/snapshot_format.h"

namespace promorec::profile {
namespace {

event::ClickEvent Event(std::string user, std::int64_t t, std::uint8_t rating,
                        std::string country = "de") {
  event::ClickEvent e;
  e.user_id = std::move(user);
  e.timestamp_us = t;
  e.rating = rating;
  e.type = event::EventTypeFromRating(rating);
  e.country = std::move(country);
  e.category = "c";
  e.product = "p";
  return e;
}

TEST(ProfileStoreTest, ApplyAndLookup) {
  ProfileStore store;
  EXPECT_FALSE(store.Lookup("alice"));
  EXPECT_TRUE(store.Apply(Event("alice", 10, 1)));
  EXPECT_TRUE(store.Apply(Event("alice", 20, 0, "fr")));
  EXPECT_TRUE(store.Apply(Event("bob", 5, 0)));
  EXPECT_FALSE(store.Apply(Event("", 5, 0)));
  EXPECT_FALSE(store.Apply(Event(std::string(257, 'u'), 5, 0)));
  const auto alice = store.Lookup("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->events, 2u);
  EXPECT_EQ(alice->clicks, 1u);
  EXPECT_EQ(alice->country, "fr");
  EXPECT_EQ(store.size(), 2u);
}

// Threads apply events for shared and own users while others look up; every
// event is counted exactly once.
TEST(ProfileStoreTest, ConcurrentApplyCountsEveryEvent) {
  ProfileStore store;
  constexpr int kThreads = 8;
  constexpr int kEventsPerThread = 5000;
  constexpr int kSharedUsers = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        store.Apply(Event("shared" + std::to_string(i % kSharedUsers), i, i % 2 == 0 ? 1 : 0));
        store.Apply(Event("own" + std::to_string(t), i, 1));
        (void)store.Lookup("shared" + std::to_string(i % kSharedUsers));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store.size(), static_cast<std::size_t>(kSharedUsers + kThreads));
  std::uint64_t shared_events = 0;
  std::uint64_t shared_clicks = 0;
  for (int u = 0; u < kSharedUsers; ++u) {
    const auto p = store.Lookup("shared" + std::to_string(u));
    ASSERT_TRUE(p);
    shared_events += p->events;
    shared_clicks += p->clicks;
    EXPECT_EQ(p->first_seen_us, u);
  }
  EXPECT_EQ(shared_events, std::uint64_t{kThreads} * kEventsPerThread);
  EXPECT_EQ(shared_clicks, std::uint64_t{kThreads} * kEventsPerThread / 2);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(store.Lookup("own" + std::to_string(t))->clicks, std::uint64_t{kEventsPerThread});
  }
}

TEST(ProfileStoreTest, SnapshotRoundTrip) {
  auto env = base::NewMemEnv();
  ProfileStore store;
  for (int u = 0; u < 300; ++u) {
    for (int i = 0; i <= u % 4; ++i) store.Apply(Event("user" + std::to_string(u), 100 * i, 1));
  }
  const std::vector<std::uint64_t> positions = {7, 1, 0, 42};
  auto written = store.Snapshot(*env, "/data/profiles/snapshot", positions);
  ASSERT_TRUE(written) << written.error().ToString();
  EXPECT_EQ(*written, 300u);
  EXPECT_FALSE(*env->FileExists("/data/profiles/snapshot.tmp"));
  ProfileStore loaded;
  auto info = loaded.Load(*env, "/data/profiles/snapshot");
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->profiles, 300u);
  EXPECT_EQ(info->positions, positions);
  EXPECT_EQ(loaded.size(), 300u);
  for (int u = 0; u < 300; ++u) {
    const std::string user = "user" + std::to_string(u);
    EXPECT_EQ(loaded.Lookup(user), store.Lookup(user)) << user;
  }
}

TEST(ProfileStoreTest, EveryDamagedByteIsDetectedAndLeavesTheStoreAlone) {
  auto env = base::NewMemEnv();
  ProfileStore store;
  store.Apply(Event("alice", 1, 1));
  store.Apply(Event("bob", 2, 0, "fr"));
  ASSERT_TRUE(store.Snapshot(*env, "/snap", std::vector<std::uint64_t>{3, 4}));
  const std::string good = *base::ReadFileToString(*env, "/snap");
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    ASSERT_TRUE(base::WriteFileAtomically(*env, "/bad", bad));
    ProfileStore target;
    target.Apply(Event("carol", 1, 0));
    auto loaded = target.Load(*env, "/bad");
    ASSERT_FALSE(loaded) << "flipped byte " << i << " was not noticed";
    EXPECT_EQ(loaded.error().code(), base::Code::kCorruption);
    EXPECT_TRUE(loaded.error().message().starts_with("/bad: ")) << loaded.error().message();
    EXPECT_EQ(target.size(), 1u);
  }
  for (std::size_t size = 0; size < good.size(); ++size) {
    ASSERT_TRUE(base::WriteFileAtomically(*env, "/cut", good.substr(0, size)));
    ProfileStore target;
    EXPECT_FALSE(target.Load(*env, "/cut")) << "cut at " << size;
  }
}

TEST(ProfileStoreTest, FailedSyncKeepsTheOldSnapshot) {
  auto mem = base::NewMemEnv();
  base::FaultInjectionEnv env(*mem);
  ProfileStore store;
  store.Apply(Event("alice", 1, 1));
  ASSERT_TRUE(store.Snapshot(env, "/p/snapshot", {}));
  store.Apply(Event("bob", 1, 1));
  env.FailSyncs(true);
  auto failed = store.Snapshot(env, "/p/snapshot", {});
  ASSERT_FALSE(failed);
  EXPECT_TRUE(failed.error().message().starts_with("profile snapshot /p/snapshot: "))
      << failed.error().message();
  env.FailSyncs(false);
  EXPECT_FALSE(*env.FileExists("/p/snapshot.tmp"));
  ProfileStore loaded;
  auto info = loaded.Load(env, "/p/snapshot");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->profiles, 1u);
  EXPECT_FALSE(loaded.Lookup("bob"));
  EXPECT_EQ(loaded.Load(env, "/p/missing").error().code(), base::Code::kNotFound);
}

TEST(ProfileStoreTest, DropsProfilesLastSeenBeforeACutoff) {
  ProfileStore store;
  for (int i = 0; i < 100; ++i) {
    event::ClickEvent e;
    e.user_id = "u" + std::to_string(i);
    e.product = "p";
    e.timestamp_us = i;
    ASSERT_TRUE(store.Apply(e));
  }
  EXPECT_EQ(store.DropLastSeenBefore(40), 40u);
  EXPECT_EQ(store.size(), 60u);
  EXPECT_FALSE(store.Lookup("u39").has_value());
  EXPECT_TRUE(store.Lookup("u40").has_value());
  std::int64_t oldest = 0;
  EXPECT_EQ(store.DropLastSeenBefore(40, &oldest), 0u);
  EXPECT_EQ(oldest, 40) << "the earliest last-seen time kept";
  EXPECT_EQ(store.DropLastSeenBefore(1000, &oldest), 60u);
  EXPECT_EQ(oldest, std::numeric_limits<std::int64_t>::max()) << "none kept";
}

// The profiles of a snapshot, by user.
std::map<std::string, Profile> Contents(const std::string& bytes) {
  auto parsed = ParseProfileSnapshot(bytes, "snapshot");
  EXPECT_TRUE(parsed) << parsed.error().ToString();
  std::map<std::string, Profile> out;
  for (auto& [user, profile] : parsed->profiles) {
    EXPECT_TRUE(out.emplace(user, profile).second) << user << " twice";
  }
  return out;
}

// What the store holds now, by user.
std::map<std::string, Profile> Holds(const ProfileStore& store,
                                     const std::vector<std::string>& users) {
  std::map<std::string, Profile> out;
  for (const std::string& user : users) {
    if (auto p = store.Lookup(user)) out.emplace(user, *p);
  }
  return out;
}

TEST(ProfileStoreTest, ABegunSnapshotIsOfItsMomentWhateverChangesAfter) {
  ProfileStore store;
  ASSERT_TRUE(store.Apply(Event("ann", 100, 0)));
  ASSERT_TRUE(store.Apply(Event("bob", 200, 1)));
  ASSERT_TRUE(store.Apply(Event("cyd", 10, 0)));
  const std::vector<std::string> users = {"ann", "bob", "cyd", "dan"};
  const auto at_mark = Holds(store, users);
  store.BeginSnapshot();
  ASSERT_TRUE(store.Apply(Event("ann", 300, 1, "fr")));  // changed twice
  ASSERT_TRUE(store.Apply(Event("ann", 400, 1, "it")));
  ASSERT_TRUE(store.Apply(Event("dan", 500, 0)));  // new
  EXPECT_EQ(store.DropLastSeenBefore(50), 1u);     // cyd goes
  const auto now = Holds(store, users);
  std::string bytes;
  const std::uint64_t positions[] = {7, 8};
  ASSERT_EQ(*store.EncodeBegunSnapshot(positions, &bytes), 3u);
  EXPECT_EQ(Contents(bytes), at_mark);
  // The next snapshot is of the store as it is now.
  ASSERT_EQ(*store.EncodeSnapshot(positions, &bytes), 3u);
  EXPECT_EQ(Contents(bytes), now);
  EXPECT_EQ(now.at("ann").country, "it");
}

// While one thread applies events (to shoppers old and new) another
// encodes the begun snapshot: it is exactly the store at the mark.
TEST(ProfileStoreTest, ASnapshotEncodedWhileEventsAreAppliedIsOfItsMoment) {
  constexpr int kUsers = 20'000;
  ProfileStore store;
  ProfileStore reference;
  std::vector<std::string> users;
  for (int i = 0; i < kUsers; ++i) {
    users.push_back("u" + std::to_string(i));
    const auto e = Event(users.back(), i, static_cast<std::uint8_t>(i % 2));
    ASSERT_TRUE(store.Apply(e));
    ASSERT_TRUE(reference.Apply(e));
  }
  for (int round = 0; round < 3; ++round) {
    store.BeginSnapshot();
    std::thread writer([&store, round] {
      for (int i = 0; i < 2 * kUsers; ++i) {
        // Every other shopper changes, and as many new ones arrive.
        const std::string user = i % 2 == 0 ? "u" + std::to_string(i) : "new" + std::to_string(i);
        (void)store.Apply(Event(user, 1'000'000 * (round + 1) + i, 1, "x"));
      }
    });
    std::string bytes;
    const std::uint64_t positions[] = {1};
    auto encoded = store.EncodeBegunSnapshot(positions, &bytes);
    writer.join();
    ASSERT_TRUE(encoded);
    std::vector<std::string> all;
    for (int i = 0; i < 2 * kUsers; ++i) {
      all.push_back("u" + std::to_string(i));
      all.push_back("new" + std::to_string(i));
    }
    const auto got = Contents(bytes);
    const auto want = Holds(reference, all);
    EXPECT_EQ(got.size(), want.size()) << "round " << round;
    int wrong = 0;
    for (const auto& [user, profile] : want) {
      const auto it = got.find(user);
      if (it != got.end() && it->second == profile) continue;
      if (++wrong > 3) continue;
      ADD_FAILURE() << "round " << round << ": " << user << " "
                    << (it == got.end() ? "missing"
                                        : "events " + std::to_string(it->second.events) + " want " +
                                              std::to_string(profile.events) + ", last seen " +
                                              std::to_string(it->second.last_seen_us) + " want " +
                                              std::to_string(profile.last_seen_us));
    }
    EXPECT_EQ(wrong, 0) << "round " << round;
    // The reference catches up with what the writer did.
    for (int i = 0; i < 2 * kUsers; ++i) {
      const std::string user = i % 2 == 0 ? "u" + std::to_string(i) : "new" + std::to_string(i);
      (void)reference.Apply(Event(user, 1'000'000 * (round + 1) + i, 1, "x"));
    }
  }
}

}  // namespace
}  // namespace promorec::profile
