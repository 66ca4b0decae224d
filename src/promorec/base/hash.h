// Fast non-cryptographic hashing for ids and partitioning.
//
// The values are part of on-disk and on-wire formats (event ids derive from
// them), so the algorithm is fixed: changing it changes every derived id.
// Bytes are read little-endian. Thread-safety: pure functions and value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace promorec::base {

std::uint64_t Hash64(std::string_view data, std::uint64_t seed = 0);

// Writes the 128-bit value (high, low) as 32 lower-case hex digits.
void WriteHex128(std::uint64_t high, std::uint64_t low, char* out32);

// Incremental 128-bit hash over a sequence of values. Each Add also mixes in
// the value's length, so ("ab","c") and ("a","bc") hash differently.
class Hasher128 {
 public:
  Hasher128() = default;
  void Add(std::string_view data);
  void AddU64(std::uint64_t value);
  // 32 lower-case hex digits.
  std::string HexDigest() const;
  std::uint64_t high() const { return high_; }
  std::uint64_t low() const { return low_; }

 private:
  std::uint64_t high_ = 0x243F6A8885A308D3ull;
  std::uint64_t low_ = 0x13198A2E03707344ull;
};

}  // namespace promorec::base
