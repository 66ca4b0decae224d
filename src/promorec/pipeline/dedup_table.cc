#include "promorec/pipeline/dedup_table.h"

#include <algorithm>
#include <cstring>

namespace promorec::pipeline {
namespace {

std::uint64_t RoundUpSlots(std::uint64_t n) {
  return (n + FingerprintTable::kSlotQuantum - 1) / FingerprintTable::kSlotQuantum *
         FingerprintTable::kSlotQuantum;
}

[[noreturn]] void OutOfMemory() { std::abort(); }

}  // namespace

std::uint64_t FingerprintTable::EmptySlots(std::uint64_t home_slots) {
  return RoundUpSlots(home_slots + 1);
}

FingerprintTable FingerprintTable::WithHomeSlots(std::uint64_t home_slots) {
  FingerprintTable table;
  table.home_slots_ = std::max<std::uint64_t>(home_slots, 1);
  table.slot_count_ = EmptySlots(table.home_slots_);
  table.slots_ = static_cast<std::uint64_t*>(std::calloc(table.slot_count_, sizeof(std::uint64_t)));
  if (table.slots_ == nullptr) OutOfMemory();
  return table;
}

void FingerprintTable::EnsureSlots(std::uint64_t needed) {
  if (needed <= slot_count_) return;
  const std::uint64_t count = RoundUpSlots(needed);
  auto* grown = static_cast<std::uint64_t*>(std::realloc(slots_, count * sizeof(std::uint64_t)));
  if (grown == nullptr) OutOfMemory();
  std::memset(grown + slot_count_, 0, (count - slot_count_) * sizeof(std::uint64_t));
  slots_ = grown;
  slot_count_ = count;
}

void FingerprintTable::Insert(std::uint64_t fp) {
  std::uint64_t i = Home(fp);
  while (slots_[i] != 0 && slots_[i] < fp) ++i;
  // Shift the rest of the run one slot right; the array always ends in an
  // empty slot, so the run ends inside it.
  std::uint64_t carry = fp;
  while (slots_[i] != 0) {
    std::swap(carry, slots_[i]);
    ++i;
  }
  slots_[i] = carry;
  ++size_;
  if (i + 1 > last_) {
    last_ = i + 1;
    EnsureSlots(last_ + 1);
  }
}

std::uint64_t FingerprintTable::SlotsWithHomeSlots(std::uint64_t home_slots) const {
  home_slots = std::max<std::uint64_t>(home_slots, 1);
  FingerprintTable probe;  // only for Home()
  probe.home_slots_ = home_slots;
  std::uint64_t next = 0;
  ForEach([&](std::uint64_t fp) { next = std::max(probe.Home(fp), next) + 1; });
  return RoundUpSlots(std::max(home_slots + 1, next + 1));
}

void FingerprintTable::Reshape(std::uint64_t home_slots) {
  home_slots = std::max<std::uint64_t>(home_slots, 1);
  if (home_slots > home_slots_ || slots_ == nullptr) {
    Builder builder(home_slots);
    ForEach([&](std::uint64_t fp) { builder.Add(fp); });
    *this = std::move(builder).Finish();
    return;
  }
  // With fewer home slots every home slot moves down or stays, and so (by
  // induction over the ascending entries) does every entry: moving them
  // front to back never overwrites one not yet moved.
  home_slots_ = home_slots;
  std::uint64_t next = 0;
  for (std::uint64_t i = 0; i < last_; ++i) {
    const std::uint64_t fp = slots_[i];
    if (fp == 0) continue;
    slots_[i] = 0;
    const std::uint64_t pos = std::max(Home(fp), next);
    slots_[pos] = fp;
    next = pos + 1;
  }
  last_ = next;
  const std::uint64_t count = RoundUpSlots(std::max(home_slots_ + 1, last_ + 1));
  if (count < slot_count_) {
    auto* shrunk = static_cast<std::uint64_t*>(std::realloc(slots_, count * sizeof(std::uint64_t)));
    if (shrunk == nullptr) OutOfMemory();
    slots_ = shrunk;
    slot_count_ = count;
  }
}

FingerprintTable::Builder::Builder(std::uint64_t home_slots)
    : table_(FingerprintTable::WithHomeSlots(home_slots)) {}

void FingerprintTable::Builder::Add(std::uint64_t fp) {
  const std::uint64_t pos = std::max(table_.Home(fp), next_);
  table_.EnsureSlots(pos + 2);
  table_.slots_[pos] = fp;
  next_ = pos + 1;
  table_.last_ = next_;
  ++table_.size_;
}

FingerprintTable FingerprintTable::Builder::Finish() && { return std::move(table_); }

}  // namespace promorec::pipeline
