// A hash map keyed by strings, kept as kParts maps chosen by a hash of the
// key, so that growing it never rehashes more than one part at a time: a
// single std::unordered_map of millions of entries stops its inserter for
// hundreds of milliseconds each time it doubles, in parts each insertion
// pays at most a thousandth of that.
//
// Thread-safety: as the maps it holds (none of its own).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace promorec::base {

template <typename Map, std::size_t kParts = 256>
class SpreadMap {
  static_assert((kParts & (kParts - 1)) == 0, "kParts must be a power of two");

 public:
  // The part that holds (or would hold) `key`.
  Map& part(std::string_view key) { return parts_[Index(key)]; }
  const Map& part(std::string_view key) const { return parts_[Index(key)]; }

  std::size_t size() const {
    std::size_t total = 0;
    for (const Map& m : parts_) total += m.size();
    return total;
  }

 private:
  static std::size_t Index(std::string_view key) {
    // The high bits of a multiplicative mix: the parts' own hashing uses
    // the low bits of the same hash.
    const std::uint64_t h = std::hash<std::string_view>{}(key)*0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h >> (64 - std::countr_zero(kParts)));
  }

  std::array<Map, kParts> parts_;
};

}  // namespace promorec::base
