#include "promorec/base/md5.h"

#include <bit>
#include <cstddef>
#include <cstring>

namespace promorec::base {
namespace {

// floor(|sin(i + 1)| * 2^32), the RFC's table T[1..64], precomputed because
// std::sin is not constexpr.
constexpr std::array<std::uint32_t, 64> kSine = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Left-rotation amounts: four per round, repeated over the round's 16 steps.
constexpr std::array<int, 16> kShift = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

constexpr std::size_t kBlock = 64;

struct State {
  std::uint32_t a = 0x67452301;
  std::uint32_t b = 0xefcdab89;
  std::uint32_t c = 0x98badcfe;
  std::uint32_t d = 0x10325476;
};

// Words are little-endian by definition of the algorithm, whatever the host.
inline std::uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// One MD5 step; written per round with a constant round function so that
// the compiler unrolls each round and folds the message index and shift.
inline void Step(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d,
                 std::uint32_t f, std::uint32_t k, std::uint32_t word, int shift) {
  const std::uint32_t sum = a + f + k + word;
  a = d;
  d = c;
  c = b;
  b = b + std::rotl(sum, shift);
}

void Transform(State& s, const unsigned char* block) {
  std::array<std::uint32_t, 16> x;
  for (std::size_t i = 0; i < 16; ++i) x[i] = LoadLe32(block + 4 * i);
  std::uint32_t a = s.a, b = s.b, c = s.c, d = s.d;
#pragma GCC unroll 16
  for (std::size_t i = 0; i < 16; ++i) {
    Step(a, b, c, d, (b & c) | (~b & d), kSine[i], x[i], kShift[i % 4]);
  }
#pragma GCC unroll 16
  for (std::size_t i = 16; i < 32; ++i) {
    Step(a, b, c, d, (d & b) | (~d & c), kSine[i], x[(5 * i + 1) % 16], kShift[4 + i % 4]);
  }
#pragma GCC unroll 16
  for (std::size_t i = 32; i < 48; ++i) {
    Step(a, b, c, d, b ^ c ^ d, kSine[i], x[(3 * i + 5) % 16], kShift[8 + i % 4]);
  }
#pragma GCC unroll 16
  for (std::size_t i = 48; i < 64; ++i) {
    Step(a, b, c, d, c ^ (b | ~d), kSine[i], x[(7 * i) % 16], kShift[12 + i % 4]);
  }
  s.a += a;
  s.b += b;
  s.c += c;
  s.d += d;
}

void StoreLe32(std::uint32_t v, std::uint8_t* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace

std::array<std::uint8_t, 16> Md5(std::string_view data) {
  State state;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  while (n >= kBlock) {
    Transform(state, p);
    p += kBlock;
    n -= kBlock;
  }
  // The tail, the 0x80 marker and the 64-bit bit length take one block when
  // the tail is under 56 bytes and two otherwise.
  std::array<unsigned char, 2 * kBlock> tail{};
  if (n > 0) std::memcpy(tail.data(), p, n);
  tail[n] = 0x80;
  const std::size_t tail_blocks = n < kBlock - 8 ? 1 : 2;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  unsigned char* length_at = tail.data() + tail_blocks * kBlock - 8;
  for (int i = 0; i < 8; ++i) length_at[i] = static_cast<unsigned char>(bits >> (8 * i));
  for (std::size_t i = 0; i < tail_blocks; ++i) Transform(state, tail.data() + i * kBlock);

  std::array<std::uint8_t, 16> digest;
  StoreLe32(state.a, digest.data());
  StoreLe32(state.b, digest.data() + 4);
  StoreLe32(state.c, digest.data() + 8);
  StoreLe32(state.d, digest.data() + 12);
  return digest;
}

}  // namespace promorec::base
