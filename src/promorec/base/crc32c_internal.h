// The two CRC-32C implementations behind Crc32cExtend, exposed so tests can
// check that they agree. Not for use outside base/.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace promorec::base::internal {

// Both take and return a finished CRC (already inverted), like Crc32cExtend.
uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n);

// Only call when Crc32cSse42Supported() is true; it executes crc32
// instructions the CPU may lack.
uint32_t Crc32cExtendSse42(uint32_t crc, const void* data, size_t n);
bool Crc32cSse42Supported();

}  // namespace promorec::base::internal
