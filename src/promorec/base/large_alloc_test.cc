#include "promorec/base/large_alloc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

namespace promorec::base {
namespace {

TEST(LargeAllocTest, SmallBlocksAreZeroedAndCacheLineAligned) {
  float* p = AllocateLargeFloats(1000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(p[i], 0.0f) << i;
  std::free(p);
}

TEST(LargeAllocTest, LargeBlocksStartOnAHugePageBoundary) {
  const std::size_t floats = std::size_t{3} << 20;  // 12 MiB
  float* p = AllocateLargeFloats(floats);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (std::size_t{2} << 20), 0u);
  EXPECT_EQ(p[0], 0.0f);
  EXPECT_EQ(p[floats - 1], 0.0f);
  p[floats - 1] = 1.0f;  // the whole block is usable
  std::free(p);
}

TEST(LargeAllocTest, ZeroFloatsStillGivesAPointerToFree) {
  float* p = AllocateLargeFloats(0);
  EXPECT_NE(p, nullptr);
  std::free(p);
}

}  // namespace
}  // namespace promorec::base
