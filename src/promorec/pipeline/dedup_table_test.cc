#include "promorec/pipeline/dedup_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "promorec/base/random.h"

namespace promorec::pipeline {
namespace {

std::vector<std::uint64_t> Slots(const FingerprintTable& table) {
  std::vector<std::uint64_t> out;
  table.ForEach([&](std::uint64_t fp) { out.push_back(fp); });
  return out;
}

FingerprintTable Build(const std::set<std::uint64_t>& fps, std::uint64_t home_slots) {
  FingerprintTable::Builder builder(home_slots);
  for (const std::uint64_t fp : fps) builder.Add(fp);
  return std::move(builder).Finish();
}

// Same slots (positions too), compared through Contains around every entry
// and the array size: two tables with the same entries in the same order
// and the same slot count.
void ExpectSameLayout(const FingerprintTable& a, const FingerprintTable& b) {
  EXPECT_EQ(a.size(), b.size());
  EXPECT_EQ(a.home_slots(), b.home_slots());
  EXPECT_EQ(a.slot_count(), b.slot_count());
  EXPECT_EQ(Slots(a), Slots(b));
}

std::set<std::uint64_t> RandomSet(base::Rng& rng, std::size_t n, std::uint64_t max) {
  std::set<std::uint64_t> fps;
  while (fps.size() < n) fps.insert(1 + rng.Below(max));
  return fps;
}

TEST(FingerprintTableTest, InsertFindsEverythingAndNothingElse) {
  base::Rng rng(1);
  auto table = FingerprintTable::WithHomeSlots(1024);
  std::set<std::uint64_t> in;
  while (in.size() < 700) {
    const std::uint64_t fp = rng.NextU64() | 1;
    if (!in.insert(fp).second) continue;
    table.Insert(fp);
  }
  EXPECT_EQ(table.size(), 700u);
  for (const std::uint64_t fp : in) EXPECT_TRUE(table.Contains(fp)) << fp;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t fp = rng.NextU64() | 1;
    EXPECT_EQ(table.Contains(fp), in.contains(fp));
  }
  // Ascending, as the file format needs.
  const auto slots = Slots(table);
  EXPECT_TRUE(std::is_sorted(slots.begin(), slots.end()));
}

// The layout depends only on the set and the home slots: inserting in any
// order gives what the builder makes from the sorted set, including the
// array size (which the memory bound counts).
TEST(FingerprintTableTest, LayoutIsIndependentOfInsertionOrder) {
  base::Rng rng(2);
  for (const std::uint64_t max : {std::uint64_t{5000}, ~std::uint64_t{0} - 1}) {
    // Small values crowd into the first home slots; values near the top
    // pile up past the last home slot.
    for (const std::uint64_t top : {std::uint64_t{0}, ~std::uint64_t{0} - 3000}) {
      std::set<std::uint64_t> set = RandomSet(rng, 700, max);
      if (top != 0) {
        for (std::uint64_t i = 0; i < 200; ++i) set.insert(top + i * 7);
      }
      std::vector<std::uint64_t> order(set.begin(), set.end());
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
      auto inserted = FingerprintTable::WithHomeSlots(1024);
      for (const std::uint64_t fp : order) inserted.Insert(fp);
      ExpectSameLayout(inserted, Build(set, 1024));
      for (const std::uint64_t fp : set) EXPECT_TRUE(inserted.Contains(fp));
    }
  }
}

TEST(FingerprintTableTest, ReshapeSmallerInPlaceAndLargerMatchTheBuilder) {
  base::Rng rng(3);
  const std::set<std::uint64_t> set = RandomSet(rng, 3000, ~std::uint64_t{0} - 1);
  auto table = FingerprintTable::WithHomeSlots(4096);
  for (const std::uint64_t fp : set) table.Insert(fp);
  const std::uint64_t before = table.bytes();
  EXPECT_EQ(table.SlotsWithHomeSlots(3334), Build(set, 3334).slot_count());
  table.Reshape(3334);  // 90 % load, as a sealed segment
  ExpectSameLayout(table, Build(set, 3334));
  EXPECT_LT(table.bytes(), before);
  for (const std::uint64_t fp : set) EXPECT_TRUE(table.Contains(fp));
  EXPECT_EQ(table.SlotsWithHomeSlots(8192), Build(set, 8192).slot_count());
  table.Reshape(8192);
  ExpectSameLayout(table, Build(set, 8192));
  for (const std::uint64_t fp : set) EXPECT_TRUE(table.Contains(fp));
}

TEST(FingerprintTableTest, SlotCountFollowsTheRule) {
  // max(H + 1, last used + 2) rounded up to 64.
  EXPECT_EQ(FingerprintTable::EmptySlots(1024), 1088u);
  EXPECT_EQ(FingerprintTable::EmptySlots(63), 64u);
  FingerprintTable::Builder builder(10);
  for (std::uint64_t i = 0; i < 100; ++i) builder.Add(~std::uint64_t{0} - 100 + i);
  const FingerprintTable table = std::move(builder).Finish();
  // All 100 have home slot 9: they take slots 9..108, so 110 are needed.
  EXPECT_EQ(table.slot_count(), 128u);
  EXPECT_EQ(table.bytes(), 128u * 8);
}

TEST(FingerprintTableTest, EmptyTableHasNothing) {
  FingerprintTable none;
  EXPECT_FALSE(none.Contains(1));
  EXPECT_EQ(none.bytes(), 0u);
  auto empty = FingerprintTable::WithHomeSlots(1024);
  EXPECT_FALSE(empty.Contains(~std::uint64_t{0}));
  EXPECT_EQ(empty.size(), 0u);
}

}  // namespace
}  // namespace promorec::pipeline
