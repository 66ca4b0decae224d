// The fingerprint set of the de-duplication filter (docs/formats/dedup.md,
// "Memory"): an ordered linear-probing table of non-zero 64-bit
// fingerprints without wrap-around. Fingerprint f has home slot
// floor(f * H / 2^64), which grows with f; entries are stored in ascending
// order, each at the first slot at or after its home slot that follows its
// predecessor. The layout depends only on the set and H, never on the order
// of insertion, so a table rebuilt from its sorted fingerprints is identical
// (same slots, same bytes) to the one that was saved; the filter's memory
// accounting, and so its answers, survive a checkpoint and restore.
//
// A miss scans from the home slot to the first empty or larger slot: about
// 1 + a/(2(1-a)) slots at load a. The array always ends in an empty slot.
// Memory is malloc'ed (large arrays come straight from mmap, so shrinking
// with realloc gives pages back); Insert allocates only when the table runs
// past the end of its array (rare: the last cluster), Grow and Reshape are
// the only other allocations.
//
// Thread-safety: a value; const methods may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>

namespace promorec::pipeline {

class FingerprintTable {
 public:
  // Slots are added in multiples of this, so that a table built from the
  // same set always has the same array size.
  static constexpr std::uint64_t kSlotQuantum = 64;

  // An empty table without an array (Contains is false, Insert not allowed).
  FingerprintTable() = default;
  ~FingerprintTable() { std::free(slots_); }
  FingerprintTable(FingerprintTable&& other) noexcept { Swap(other); }
  FingerprintTable& operator=(FingerprintTable&& other) noexcept {
    FingerprintTable moved(std::move(other));
    Swap(moved);
    return *this;
  }
  FingerprintTable(const FingerprintTable&) = delete;
  FingerprintTable& operator=(const FingerprintTable&) = delete;

  // An empty table with `home_slots` (>= 1) home slots. Aborts when out of
  // memory, as operator new would.
  static FingerprintTable WithHomeSlots(std::uint64_t home_slots);

  // The slot count of an empty table with `home_slots`.
  static std::uint64_t EmptySlots(std::uint64_t home_slots);

  [[nodiscard]] bool Contains(std::uint64_t fp) const {
    if (size_ == 0) return false;
    const std::uint64_t* p = slots_ + Home(fp);
    while (*p != 0 && *p < fp) ++p;
    return *p == fp;
  }
  // Starts loading the cache line a lookup of `fp` reads first.
  void Prefetch(std::uint64_t fp) const {
    if (size_ != 0) __builtin_prefetch(slots_ + Home(fp));
  }

  // Adds `fp` (non-zero, not present). The table must have an array.
  void Insert(std::uint64_t fp);

  // The slot count the table would have with `home_slots`.
  [[nodiscard]] std::uint64_t SlotsWithHomeSlots(std::uint64_t home_slots) const;
  // Re-lays the table out with `home_slots`: in place when that is not
  // more than now (the array shrinks), through a new array otherwise.
  void Reshape(std::uint64_t home_slots);

  // Calls f(fp) for every fingerprint in ascending order.
  template <typename F>
  void ForEach(F&& f) const {
    for (std::uint64_t i = 0; i < slot_count_; ++i) {
      if (slots_[i] != 0) f(slots_[i]);
    }
  }

  std::uint64_t size() const { return size_; }
  std::uint64_t home_slots() const { return home_slots_; }
  std::uint64_t slot_count() const { return slot_count_; }
  std::uint64_t bytes() const { return slot_count_ * sizeof(std::uint64_t); }

  // Builds a table from fingerprints given in strictly ascending order.
  class Builder;

 private:
  std::uint64_t Home(std::uint64_t fp) const {
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<U128>(fp) * home_slots_) >> 64);
  }
  // Makes the array at least `needed` slots long (rounded up), zero-filled.
  void EnsureSlots(std::uint64_t needed);
  void Swap(FingerprintTable& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(home_slots_, other.home_slots_);
    std::swap(slot_count_, other.slot_count_);
    std::swap(size_, other.size_);
    std::swap(last_, other.last_);
  }

  std::uint64_t* slots_ = nullptr;
  std::uint64_t home_slots_ = 1;
  std::uint64_t slot_count_ = 0;
  std::uint64_t size_ = 0;
  // One past the last used slot (0 when empty).
  std::uint64_t last_ = 0;
};

// The caller checks the order (the file parser does).
class FingerprintTable::Builder {
 public:
  explicit Builder(std::uint64_t home_slots);
  void Add(std::uint64_t fp);
  FingerprintTable Finish() &&;

 private:
  FingerprintTable table_;
  std::uint64_t next_ = 0;  // the first slot the next entry may take
};

}  // namespace promorec::pipeline
