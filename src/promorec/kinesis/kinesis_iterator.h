// Internal to the Kinesis API: shard iterators as opaque, signed strings.
// An iterator carries the stream (name and creation time, so an iterator of
// a deleted and re-created stream is refused), the shard, the sequence
// number to read from and when it was issued, followed by an HMAC-MD5 of all
// of it under a key the server keeps; the whole is base64. Users can read
// but not forge or alter one, and the server keeps no state per iterator.
// Thread-safety: the codec is immutable after construction.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace promorec::kinesis {

// Iterators are refused this long after they were issued.
inline constexpr std::int64_t kIteratorLifetimeMicros = 300'000'000;

struct ShardPosition {
  std::string stream;
  std::int64_t stream_created_us = 0;
  std::uint32_t shard = 0;
  std::uint64_t sequence = 0;
  std::int64_t issued_us = 0;

  friend bool operator==(const ShardPosition&, const ShardPosition&) = default;
};

class IteratorCodec {
 public:
  // `key` of any length; an empty key draws a random one.
  explicit IteratorCodec(std::string_view key);

  std::string Encode(const ShardPosition& position) const;
  // nullopt when the text is not an iterator this codec issued.
  std::optional<ShardPosition> Decode(std::string_view text) const;

 private:
  std::array<std::uint8_t, 16> Mac(std::string_view message) const;

  // The key XORed with HMAC's inner and outer pads.
  std::string inner_pad_;
  std::string outer_pad_;
};

}  // namespace promorec::kinesis
