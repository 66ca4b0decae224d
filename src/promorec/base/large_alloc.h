// Zeroed, 64-byte aligned memory for large parameter arrays that are read
// and written at random (model weights, optimiser state). Blocks of a few
// MiB and more are placed on 2 MiB boundaries and offered to the kernel
// for transparent huge pages: random access over tens of MiB then costs a
// handful of TLB entries instead of thousands of 4 KiB page walks.
// Thread-safety: functions.
#pragma once

#include <cstddef>

namespace promorec::base {

// `floats` zeroed floats (64-byte aligned), or null when out of memory.
// Release with std::free.
float* AllocateLargeFloats(std::size_t floats);

}  // namespace promorec::base
