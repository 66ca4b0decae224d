// CRC-32C (Castagnoli) for checksumming records, files and model blobs.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it, chosen once at run
// time (no -march flags needed at build time), and a portable slicing-by-8
// table otherwise. Both give identical results.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace promorec::base {

// Continues a CRC: Crc32cExtend(Crc32c(a), b, n) == Crc32c(a + b). Pass 0 to
// start a new one.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);

inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data.data(), data.size()); }

// Whether Crc32cExtend uses the hardware instruction on this machine.
bool Crc32cHardwareAvailable();

// A CRC computed over data that itself contains CRCs is weak (the CRC of a
// string with its own CRC appended is a constant), so stored CRCs are masked.
// Same transform as LevelDB's, so its tools can read our checksums.
inline constexpr uint32_t kCrc32cMaskDelta = 0xa282ead8U;

inline uint32_t Crc32cMask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kCrc32cMaskDelta; }

inline uint32_t Crc32cUnmask(uint32_t masked) {
  const uint32_t rot = masked - kCrc32cMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace promorec::base
