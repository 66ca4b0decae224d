// Test helper shared by the codec tests and fuzz targets: random valid
// ClickEvents from a seeded generator, so round-trip tests cover unicode,
// quotes, control characters in attribute values and every optional field
// reproducibly. Not part of the library.
// Thread-safety: RandomEventGenerator is not thread-safe; one per thread.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "promorec/event/click_event.h"
#include "promorec/event/limits.h"

namespace promorec::event {

class RandomEventGenerator {
 public:
  explicit RandomEventGenerator(std::uint64_t seed) : rng_(seed) {}

  // A random event that passes ValidateEvent, with a non-empty event id.
  ClickEvent Next() {
    ClickEvent e;
    e.event_id = Text(1, 40, false);
    e.user_id = Text(1, 30, false);
    e.offer_id = Chance(2) ? Text(1, 12, false) : "";
    e.country = Chance(2) ? Text(2, 3, false) : "";
    e.category = Chance(2) ? Text(1, 20, false) : "";
    e.product = Text(1, 30, false);
    if (Chance(20)) e.user_id = std::string(kMaxIdBytes, 'u');
    e.timestamp_us = static_cast<std::int64_t>(
        Below(static_cast<std::uint64_t>(kMaxTimestampSeconds) * 1'000'000u));
    e.type = static_cast<EventType>(Below(kMaxEventType + 1));
    e.rating = RatingOfType(e.type);
    if (Chance(4)) e.promotion_code = Text(1, 16, false);
    if (Chance(2)) e.price = Price();
    if (Chance(2)) e.quantity = static_cast<std::uint32_t>(Chance(4) ? rng_() : Below(10));
    if (Chance(2)) e.session_id = Text(1, 40, false);
    const std::uint64_t attributes = Chance(2) ? Below(6) : 0;
    for (std::uint64_t i = 0; i < attributes; ++i) {
      e.attributes.emplace_back(Text(1, 16, true), Text(0, 40, true));
    }
    return e;
  }

 private:
  bool Chance(std::uint64_t one_in) { return Below(one_in) == 0; }
  std::uint64_t Below(std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng_);
  }

  double Price() {
    switch (Below(4)) {
      case 0:
        return 0.0;
      case 1:
        return static_cast<double>(Below(100000)) / 100.0;
      case 2:
        return std::uniform_real_distribution<double>(0, 1e6)(rng_);
      default: {
        // Any finite non-negative double, tiny and huge ones included.
        return std::bit_cast<double>(rng_() & 0x7FEF'FFFF'FFFF'FFFFull);
      }
    }
  }

  // UTF-8 text of `min`..`max` pieces; `controls` allows control characters.
  std::string Text(std::uint64_t min, std::uint64_t max, bool controls) {
    static constexpr std::array<std::string_view, 14> kPieces = {
        "a", "Z", "7", " ", "\"", "\\", "/", "é", "日本", "😀", "\xC2\xA0", "-", "_", "\x7E"};
    std::string out;
    const std::uint64_t n = min + Below(max - min + 1);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (controls && Chance(8)) {
        out.push_back(static_cast<char>(Below(0x20)));
      } else {
        out.append(kPieces[Below(kPieces.size())]);
      }
    }
    if (!controls && out.size() > kMaxIdBytes) out.resize(0);
    if (out.empty() && min > 0) out = "x";
    return out;
  }

  std::mt19937_64 rng_;
};

}  // namespace promorec::event
