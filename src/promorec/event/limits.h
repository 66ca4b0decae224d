// Size limits every codec enforces, in one place so that the limits of the
// HTTP API, the import command and the event log agree.
#pragma once

#include <cstddef>

namespace promorec::event {

// Longest id-like field (user, offer, country, category, product, session).
inline constexpr std::size_t kMaxIdBytes = 256;
// Longest line of a line-oriented format (classic, KASANDR, NDJSON).
inline constexpr std::size_t kMaxLineBytes = 64 * 1024;
inline constexpr std::size_t kMaxAttributes = 64;
inline constexpr std::size_t kMaxAttributeKeyBytes = 128;
// 64 attributes of the largest size still fit in one line of kMaxLineBytes.
inline constexpr std::size_t kMaxAttributeValueBytes = 768;
// Timestamps must fall in [1970-01-01, 2200-01-01).
inline constexpr long long kMaxTimestampSeconds = 7258118400LL;

}  // namespace promorec::event
