// A live event's id: where its notification stands in the durable
// `impressions` stream, "<shard>-<sequence>" (both decimal, no sign, no
// leading zeros). The live stream sends it as the SSE `id:`; a client that
// reconnects sends it back (Last-Event-ID) to resume after it. This is the
// one parser of that id; it rejects anything that is not the canonical
// form, so a parsed id formats back to the same text.
// Thread-safety: pure functions and a value type.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::notify {

// The longest id: a 32-bit shard, '-', a 64-bit sequence.
inline constexpr std::size_t kMaxPositionText = 10 + 1 + 20;

struct LivePosition {
  std::uint32_t shard = 0;
  std::uint64_t sequence = 0;

  friend bool operator==(const LivePosition&, const LivePosition&) = default;
  friend auto operator<=>(const LivePosition&, const LivePosition&) = default;
};

// The position `text` names; kInvalidArgument with the reason otherwise
// (the message quotes the text, non-printable bytes as \xNN).
[[nodiscard]] base::Result<LivePosition> ParseLivePosition(std::string_view text);

// "<shard>-<sequence>".
std::string FormatLivePosition(const LivePosition& position);

// Whether `position` is known to come no later than `bound`: same shard, at
// or before it. Positions in different shards are not ordered.
inline bool AtOrBefore(const LivePosition& position, const LivePosition& bound) {
  return position.shard == bound.shard && position.sequence <= bound.sequence;
}

}  // namespace promorec::notify
