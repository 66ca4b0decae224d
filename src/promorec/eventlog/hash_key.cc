#include "promorec/eventlog/hash_key.h"

#include <algorithm>
#include <limits>

#include "promorec/base/md5.h"

namespace promorec::eventlog {
namespace {

constexpr HashKey kMaxHashKey = ~HashKey{0};

// 2^128 = quotient * n + remainder, for n >= 2 (2^128 itself does not fit,
// so it is derived from 2^128 - 1).
struct Split {
  HashKey quotient;
  std::uint64_t remainder;
};

Split DivideFullRange(std::uint32_t n) {
  HashKey quotient = kMaxHashKey / n;
  std::uint64_t remainder = static_cast<std::uint64_t>(kMaxHashKey % n) + 1;
  if (remainder == n) {
    ++quotient;
    remainder = 0;
  }
  return {quotient, remainder};
}

}  // namespace

HashKey PartitionKeyHash(std::string_view partition_key) {
  const auto digest = base::Md5(partition_key);
  HashKey key = 0;
  for (std::uint8_t byte : digest) key = (key << 8) | byte;
  return key;
}

base::Result<HashKey> ParseHashKey(std::string_view decimal) {
  if (decimal.empty()) return base::InvalidArgument("hash key is empty");
  // Kinesis's pattern for ExplicitHashKey is 0|([1-9]\d{0,38}): one
  // spelling per number, so two spellings never look like different keys.
  if (decimal.size() > 1 && decimal.front() == '0') {
    return base::InvalidArgument("hash key '" + std::string(decimal) + "' has a leading zero");
  }
  HashKey value = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') {
      return base::InvalidArgument("hash key '" + std::string(decimal) +
                                   "' is not a decimal number (digits 0-9 only)");
    }
    const auto digit = static_cast<unsigned>(c - '0');
    if (value > (kMaxHashKey - digit) / 10) {
      return base::InvalidArgument("hash key '" + std::string(decimal) + "' is above 2^128 - 1 (" +
                                   HashKeyToDecimal(kMaxHashKey) + ")");
    }
    value = value * 10 + digit;
  }
  return value;
}

std::string HashKeyToDecimal(HashKey key) {
  // 2^128 - 1 has 39 digits.
  char buf[40];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(key % 10));
    key /= 10;
  } while (key != 0);
  return std::string(p, end);
}

HashKey StartingHashKey(std::uint32_t shard, std::uint32_t shard_count) {
  if (shard == 0 || shard_count <= 1) return 0;
  if (shard >= shard_count) return kMaxHashKey;
  // floor(shard * 2^128 / n) = shard * q + floor(shard * r / n), where
  // 2^128 = q * n + r; shard * r < n^2 fits in 64 bits.
  const Split split = DivideFullRange(shard_count);
  return split.quotient * shard +
         (static_cast<std::uint64_t>(shard) * split.remainder) / shard_count;
}

HashKey EndingHashKey(std::uint32_t shard, std::uint32_t shard_count) {
  if (shard_count == 0 || shard + 1 >= shard_count) return kMaxHashKey;
  return StartingHashKey(shard + 1, shard_count) - 1;
}

std::uint32_t ShardForHashKey(HashKey key, std::uint32_t shard_count) {
  if (shard_count <= 1) return 0;
  // floor(high64(key) * n / 2^64) is the exact answer or one below it; the
  // loops settle the boundary cases against the same StartingHashKey that
  // defines the ranges, so the two can never disagree.
  const auto high = static_cast<std::uint64_t>(key >> 64);
  auto shard = static_cast<std::uint32_t>((static_cast<HashKey>(high) * shard_count) >> 64);
  shard = std::min(shard, shard_count - 1);
  while (shard + 1 < shard_count && StartingHashKey(shard + 1, shard_count) <= key) ++shard;
  while (shard > 0 && StartingHashKey(shard, shard_count) > key) --shard;
  return shard;
}

}  // namespace promorec::eventlog
