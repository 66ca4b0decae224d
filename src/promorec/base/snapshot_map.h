// A hash map from string keys to values that can be snapshotted at one
// moment while it goes on changing: BeginSnapshot marks the moment (a lock
// of each shard, whatever the number of entries), and EncodeBegunSnapshot,
// on another thread, encodes every entry as it was at the mark while
// Update and EraseIf go on. The first change (or erasure) of an entry after
// the mark encodes the entry as it was first (copy on write, per entry); an
// entry created after the mark is not in the snapshot. So the thread that
// changes the map does not stop for a snapshot of millions of entries: it
// pays one encoding for each entry it changes before the snapshot passes
// it.
//
// `Codec` has `static void Encode(std::string_view key, const Value& value,
// std::string* out)`, which appends one entry's bytes; the snapshot is the
// entries' bytes one after another, in no particular order.
//
// Entries are spread over kShards shards by a hash of the key, each with
// its own mutex: threads that touch different shards never wait for each
// other, and the snapshot holds one shard at a time.
//
// Thread-safety: every method may be called from many threads at once,
// except that one snapshot is encoded at a time (BeginSnapshot, then
// EncodeBegunSnapshot before the next BeginSnapshot).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "promorec/base/hash.h"

namespace promorec::base {

template <typename Value, typename Codec>
class SnapshotMap {
 public:
  // Many small shards: the snapshot holds each only briefly (at 1M
  // entries, about a thousand entries for a fraction of a millisecond), so
  // the thread that changes the map seldom waits for it.
  static constexpr std::size_t kShards = 1024;

  SnapshotMap() = default;
  SnapshotMap(const SnapshotMap&) = delete;
  SnapshotMap& operator=(const SnapshotMap&) = delete;

  // Calls fn(Value&) on the value of `key`, made (value-initialized) when
  // there is none, and returns what fn returns.
  template <typename Fn>
  decltype(auto) Update(std::string_view key, Fn&& fn) {
    Shard& shard = ShardOf(key);
    const std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it == shard.map.end()) {
      it = shard.map.try_emplace(std::string(key)).first;
    } else {
      KeepForSnapshot(shard, it->first, it->second);
    }
    it->second.epoch = shard.epoch;
    return std::forward<Fn>(fn)(it->second.value);
  }

  // Calls fn(const Value*) with the value of `key`, or null when there is
  // none, and returns what fn returns.
  template <typename Fn>
  decltype(auto) Read(std::string_view key, Fn&& fn) const {
    const Shard& shard = ShardOf(key);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.map.find(key);
    return std::forward<Fn>(fn)(it == shard.map.end() ? nullptr : &it->second.value);
  }

  // Erases the entries for which pred(key, const Value&) is true; returns
  // how many.
  template <typename Pred>
  std::size_t EraseIf(Pred&& pred) {
    std::size_t erased = 0;
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      erased += std::erase_if(shard.map, [&shard, &pred](const auto& entry) {
        if (!pred(std::string_view(entry.first), std::as_const(entry.second.value))) return false;
        KeepForSnapshot(shard, entry.first, entry.second);
        return true;
      });
    }
    return erased;
  }

  // Sets the value of `key` (loading a saved state).
  void Assign(std::string key, Value value) {
    Shard& shard = ShardOf(key);
    const std::lock_guard lock(shard.mutex);
    KeepForSnapshotIfPresent(shard, key);
    shard.map.insert_or_assign(std::move(key), Entry{std::move(value), shard.epoch});
  }

  // Erases every entry.
  void Clear() {
    (void)EraseIf([](std::string_view, const Value&) { return true; });
  }

  std::size_t size() const {
    std::size_t total = 0;
    for (const Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      total += shard.map.size();
    }
    return total;
  }

  // Marks the moment of a snapshot; returns the number of entries then.
  std::uint64_t BeginSnapshot() {
    std::uint64_t entries = 0;
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      ++shard.epoch;
      shard.pending = true;
      entries += shard.map.size();
    }
    return entries;
  }

  // Appends the entries as they were at the mark to `out`; returns how
  // many (BeginSnapshot's count).
  std::uint64_t EncodeBegunSnapshot(std::string* out) {
    std::uint64_t entries = 0;
    for (Shard& shard : shards_) {
      const std::lock_guard lock(shard.mutex);
      for (const auto& [key, entry] : shard.map) {
        if (entry.epoch == shard.epoch) continue;  // in `before`, or new since the mark
        Codec::Encode(key, entry.value, out);
        ++entries;
      }
      out->append(shard.before);
      entries += shard.before_count;
      std::string().swap(shard.before);
      shard.before_count = 0;
      shard.pending = false;
    }
    return entries;
  }

 private:
  struct Entry {
    Value value{};
    // The snapshot epoch of the last change (Shard::epoch then): an entry
    // of an older epoch is still as it was at the mark.
    std::uint32_t epoch = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map;
    // The epoch of the last snapshot begun, and whether this shard is
    // still to be encoded for it.
    std::uint32_t epoch = 0;
    bool pending = false;
    // Entries as they were at the mark, encoded before their first change
    // after it.
    std::string before;
    std::uint64_t before_count = 0;
  };

  // Before `entry` changes or goes: keeps it as it was at the mark (the
  // caller then moves its epoch to the shard's, or erases it).
  static void KeepForSnapshot(Shard& shard, std::string_view key, const Entry& entry) {
    if (!shard.pending || entry.epoch == shard.epoch) return;
    Codec::Encode(key, entry.value, &shard.before);
    ++shard.before_count;
  }
  static void KeepForSnapshotIfPresent(Shard& shard, std::string_view key) {
    if (const auto it = shard.map.find(key); it != shard.map.end()) {
      KeepForSnapshot(shard, it->first, it->second);
    }
  }

  Shard& ShardOf(std::string_view key) { return shards_[Hash64(key) % kShards]; }
  const Shard& ShardOf(std::string_view key) const { return shards_[Hash64(key) % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace promorec::base
