#include "promorec/base/crc32c.h"

#include <array>
#include <cstring>

#include "promorec/base/crc32c_internal.h"

namespace promorec::base {
namespace internal {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78U;  // Castagnoli, bit-reversed.

// kTables[k][b] is the CRC of byte b followed by k zero bytes, which lets the
// loop below fold eight input bytes per step instead of one.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> tables{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1U) != 0 ? kPolynomial : 0U);
    tables[0][b] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (size_t b = 0; b < 256; ++b) {
      const uint32_t prev = tables[k - 1][b];
      tables[k][b] = (prev >> 8) ^ tables[0][prev & 0xffU];
    }
  }
  return tables;
}

constexpr auto kTables = MakeTables();

uint32_t LoadLe32(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

}  // namespace

uint32_t Crc32cExtendPortable(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t l = ~crc;
  while (n >= 8) {
    const uint32_t lo = LoadLe32(p) ^ l;
    const uint32_t hi = LoadLe32(p + 4);
    l = kTables[7][lo & 0xffU] ^ kTables[6][(lo >> 8) & 0xffU] ^ kTables[5][(lo >> 16) & 0xffU] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xffU] ^ kTables[2][(hi >> 8) & 0xffU] ^
        kTables[1][(hi >> 16) & 0xffU] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    l = (l >> 8) ^ kTables[0][(l ^ *p) & 0xffU];
    ++p;
    --n;
  }
  return ~l;
}

}  // namespace internal

namespace {

using ExtendFn = uint32_t (*)(uint32_t, const void*, size_t);

ExtendFn ChooseExtend() {
  return internal::Crc32cSse42Supported() ? internal::Crc32cExtendSse42
                                          : internal::Crc32cExtendPortable;
}

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
  // Decided once; the CPU does not change under a running process.
  static const ExtendFn extend = ChooseExtend();
  return extend(crc, data, n);
}

bool Crc32cHardwareAvailable() { return internal::Crc32cSse42Supported(); }

}  // namespace promorec::base
