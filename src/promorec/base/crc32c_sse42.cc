// The SSE4.2 CRC-32C kernel. Only this function is compiled for SSE4.2 (via a
// target attribute), so the rest of the program still runs on CPUs without
// it; crc32c.cc calls it only after checking the CPU at run time.

#include <cstring>

#include "promorec/base/crc32c_internal.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace promorec::base::internal {

#if defined(__x86_64__)

bool Crc32cSse42Supported() { return __builtin_cpu_supports("sse4.2") != 0; }

__attribute__((target("sse4.2"))) uint32_t Crc32cExtendSse42(uint32_t crc, const void* data,
                                                             size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t l = ~crc;
  // Byte steps up to an 8-byte boundary keep the wide loads aligned, which
  // matters on older cores.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7U) != 0) {
    l = _mm_crc32_u8(static_cast<uint32_t>(l), *p);
    ++p;
    --n;
  }
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    l = _mm_crc32_u64(l, word);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    l = _mm_crc32_u8(static_cast<uint32_t>(l), *p);
    ++p;
    --n;
  }
  return ~static_cast<uint32_t>(l);
}

#else

bool Crc32cSse42Supported() { return false; }

uint32_t Crc32cExtendSse42(uint32_t crc, const void* data, size_t n) {
  return Crc32cExtendPortable(crc, data, n);
}

#endif

}  // namespace promorec::base::internal
