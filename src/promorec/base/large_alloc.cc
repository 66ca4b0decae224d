#include "promorec/base/large_alloc.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace promorec::base {
namespace {

constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t RoundUp(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

float* AllocateLargeFloats(std::size_t floats) {
  const std::size_t bytes = floats * sizeof(float);
  const bool huge = bytes >= 2 * kHugePage;
  const std::size_t alignment = huge ? kHugePage : kCacheLine;
  const std::size_t size = RoundUp(bytes == 0 ? 1 : bytes, alignment);
  void* memory = std::aligned_alloc(alignment, size);
  if (memory == nullptr) return nullptr;
  // Advice only: where huge pages are off, or the kernel has none to
  // spare, the memory works the same with small pages.
  if (huge) madvise(memory, size, MADV_HUGEPAGE);
  std::memset(memory, 0, size);
  return static_cast<float*>(memory);
}

}  // namespace promorec::base
