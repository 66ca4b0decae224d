#include "promorec/base/hash.h"

#include <cstring>

namespace promorec::base {
namespace {

__extension__ using U128 = unsigned __int128;

constexpr std::uint64_t kP0 = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t kP1 = 0xC2B2AE3D27D4EB4Full;
constexpr std::uint64_t kP2 = 0x165667B19E3779F9ull;
constexpr std::uint64_t kP3 = 0xD6E8FEB86659FD93ull;

inline std::uint64_t Mix(std::uint64_t a, std::uint64_t b) {
  const U128 product = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

inline std::uint64_t Load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Loads the last 1..7 bytes as one little-endian word.
inline std::uint64_t LoadTail(const char* p, std::size_t n) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

}  // namespace

std::uint64_t Hash64(std::string_view data, std::uint64_t seed) {
  const char* p = data.data();
  std::size_t n = data.size();
  std::uint64_t h = Mix(seed ^ kP0, static_cast<std::uint64_t>(n) ^ kP1);
  while (n >= 16) {
    h = Mix(h ^ Load64(p), kP1) ^ Mix(Load64(p + 8) ^ kP2, h ^ kP3);
    p += 16;
    n -= 16;
  }
  if (n >= 8) {
    h = Mix(h ^ Load64(p), kP1);
    p += 8;
    n -= 8;
  }
  if (n > 0) h = Mix(h ^ LoadTail(p, n), kP2);
  return Mix(h ^ (h >> 29), kP3) ^ (h >> 32);
}

void Hasher128::Add(std::string_view data) {
  const std::uint64_t a = Hash64(data, high_);
  const std::uint64_t b = Hash64(data, low_ ^ kP2);
  high_ = Mix(high_ ^ a, kP1) + b;
  low_ = Mix(low_ ^ b, kP3) + a;
}

void Hasher128::AddU64(std::uint64_t value) {
  high_ = Mix(high_ ^ value, kP0) + kP2;
  low_ = Mix(low_ ^ (value + kP1), kP3) ^ high_;
}

void WriteHex128(std::uint64_t high, std::uint64_t low, char* out32) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    out32[15 - i] = kDigits[(high >> (4 * i)) & 0xF];
    out32[31 - i] = kDigits[(low >> (4 * i)) & 0xF];
  }
}

std::string Hasher128::HexDigest() const {
  std::string out(32, '0');
  WriteHex128(high_, low_, out.data());
  return out;
}

}  // namespace promorec::base
