#include "promorec/notify/live_position.h"

#include <charconv>
#include <limits>

namespace promorec::notify {
namespace {

// `text` for a message: printable ASCII as is, other bytes as \xNN.
std::string Quoted(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\' && c != '\'') {
      out.push_back(c);
    } else {
      out.append("\\x").push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  out.push_back('\'');
  return out;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A canonical decimal number no greater than `max`: 0 when it is not one,
// 1 for a leading zero, 2 when it is too large; 3 when it parsed.
template <typename T>
int ParseNumber(std::string_view text, T* value) {
  if (!AllDigits(text)) return 0;
  if (text.size() > 1 && text.front() == '0') return 1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  if (ec == std::errc::result_out_of_range) return 2;
  return ec == std::errc() && end == text.data() + text.size() ? 3 : 0;
}

}  // namespace

base::Result<LivePosition> ParseLivePosition(std::string_view text) {
  if (text.empty()) return base::InvalidArgument("event id is empty");
  if (text.size() > kMaxPositionText) {
    return base::InvalidArgument("event id is longer than " + std::to_string(kMaxPositionText) +
                                 " bytes");
  }
  const std::size_t dash = text.find('-');
  const std::string_view shard = text.substr(0, dash);
  const std::string_view sequence =
      dash == std::string_view::npos ? std::string_view() : text.substr(dash + 1);
  LivePosition position;
  const int shard_parsed = ParseNumber(shard, &position.shard);
  const int sequence_parsed = ParseNumber(sequence, &position.sequence);
  if (dash == std::string_view::npos || shard_parsed == 0 || sequence_parsed == 0) {
    return base::InvalidArgument("event id " + Quoted(text) +
                                 " is not <shard>-<sequence> (two whole numbers)");
  }
  if (shard_parsed == 1 || sequence_parsed == 1) {
    return base::InvalidArgument("event id " + Quoted(text) + " has a number with a leading zero");
  }
  if (shard_parsed == 2) {
    return base::InvalidArgument("event id " + Quoted(text) + ": shard is over " +
                                 std::to_string(std::numeric_limits<std::uint32_t>::max()));
  }
  if (sequence_parsed == 2) {
    return base::InvalidArgument("event id " + Quoted(text) + ": sequence is over " +
                                 std::to_string(std::numeric_limits<std::uint64_t>::max()));
  }
  return position;
}

std::string FormatLivePosition(const LivePosition& position) {
  return std::to_string(position.shard) + "-" + std::to_string(position.sequence);
}

}  // namespace promorec::notify
