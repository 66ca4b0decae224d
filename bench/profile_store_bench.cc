// Cost of the profile store on the ingest path (Apply) and the
// recommendation path (Lookup), from one and several threads.
// BM_OneLockApply is the baseline: the same profiles behind a single mutex.
// Compare items_per_second of BM_Apply with it at the same thread count: the
// sharded store should keep its rate as threads are added, the single lock
// should not.
#include <benchmark/benchmark.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "promorec/profile/profile_store.h"

namespace promorec::profile {
namespace {

constexpr std::size_t kUsers = 1 << 14;

const std::vector<event::ClickEvent>& Events() {
  static const std::vector<event::ClickEvent> events = [] {
    std::vector<event::ClickEvent> out(kUsers);
    for (std::size_t i = 0; i < kUsers; ++i) {
      out[i].user_id = "user-" + std::to_string(i * 2654435761u % 1000003);
      out[i].country = "de";
      out[i].category = "1000" + std::to_string(i % 97);
      out[i].product = "p" + std::to_string(i % 3000);
      out[i].timestamp_us = static_cast<std::int64_t>(i);
      out[i].rating = i % 10 == 0 ? 1 : 0;
      out[i].type = promorec::event::EventTypeFromRating(out[i].rating);
    }
    return out;
  }();
  return events;
}

ProfileStore& SharedStore() {
  static ProfileStore store;
  return store;
}

struct OneLockStore {
  std::mutex mutex;
  std::unordered_map<std::string, Profile> profiles;
};

OneLockStore& SharedOneLock() {
  static OneLockStore store;
  return store;
}

void BM_OneLockApply(benchmark::State& state) {
  OneLockStore& store = SharedOneLock();
  const auto& events = Events();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    const event::ClickEvent& e = events[i++ % kUsers];
    const std::lock_guard lock(store.mutex);
    ApplyEvent(e, &store.profiles[e.user_id]);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_OneLockApply)->ThreadRange(1, 4)->UseRealTime();

void BM_Apply(benchmark::State& state) {
  ProfileStore& store = SharedStore();
  const auto& events = Events();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) benchmark::DoNotOptimize(store.Apply(events[i++ % kUsers]));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Apply)->ThreadRange(1, 4)->UseRealTime();

void BM_Lookup(benchmark::State& state) {
  ProfileStore& store = SharedStore();
  const auto& events = Events();
  for (const auto& e : events) store.Apply(e);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) benchmark::DoNotOptimize(store.Lookup(events[i++ % kUsers].user_id));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Lookup)->ThreadRange(1, 4)->UseRealTime();

}  // namespace
}  // namespace promorec::profile

BENCHMARK_MAIN();
