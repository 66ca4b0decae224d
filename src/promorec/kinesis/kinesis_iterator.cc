#include "promorec/kinesis/kinesis_iterator.h"

#include <algorithm>
#include <random>

#include "promorec/base/base64.h"
#include "promorec/base/md5.h"

namespace promorec::kinesis {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kBlock = 64;  // MD5's block size, HMAC's key size
constexpr std::size_t kMacBytes = 16;
// version, issued, created, shard, sequence, name length.
constexpr std::size_t kHeaderBytes = 1 + 8 + 8 + 4 + 8 + 1;
constexpr std::size_t kMaxNameBytes = 255;

void PutU64(std::uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint64_t GetU64(std::string_view bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  }
  return value;
}

std::string RandomKey() {
  std::random_device device;
  std::string key;
  for (std::size_t i = 0; i < 32; i += 4) {
    const std::uint32_t word = device();
    for (int b = 0; b < 4; ++b) key.push_back(static_cast<char>((word >> (8 * b)) & 0xFF));
  }
  return key;
}

}  // namespace

IteratorCodec::IteratorCodec(std::string_view key) {
  std::string k = key.empty() ? RandomKey() : std::string(key);
  if (k.size() > kBlock) {
    const auto digest = base::Md5(k);
    k.assign(digest.begin(), digest.end());
  }
  k.resize(kBlock, '\0');
  inner_pad_ = k;
  outer_pad_ = k;
  for (std::size_t i = 0; i < kBlock; ++i) {
    inner_pad_[i] = static_cast<char>(inner_pad_[i] ^ 0x36);
    outer_pad_[i] = static_cast<char>(outer_pad_[i] ^ 0x5c);
  }
}

std::array<std::uint8_t, 16> IteratorCodec::Mac(std::string_view message) const {
  std::string inner = inner_pad_;
  inner.append(message);
  const auto inner_digest = base::Md5(inner);
  std::string outer = outer_pad_;
  outer.append(inner_digest.begin(), inner_digest.end());
  return base::Md5(outer);
}

std::string IteratorCodec::Encode(const ShardPosition& position) const {
  const std::string_view name =
      std::string_view(position.stream).substr(0, std::min(position.stream.size(), kMaxNameBytes));
  std::string bytes;
  bytes.reserve(kHeaderBytes + name.size() + kMacBytes);
  bytes.push_back(static_cast<char>(kVersion));
  PutU64(static_cast<std::uint64_t>(position.issued_us), &bytes);
  PutU64(static_cast<std::uint64_t>(position.stream_created_us), &bytes);
  for (int i = 0; i < 4; ++i)
    bytes.push_back(static_cast<char>((position.shard >> (8 * i)) & 0xFF));
  PutU64(position.sequence, &bytes);
  bytes.push_back(static_cast<char>(name.size()));
  bytes.append(name);
  const auto mac = Mac(bytes);
  bytes.append(mac.begin(), mac.end());
  return base::Base64Encode(bytes);
}

std::optional<ShardPosition> IteratorCodec::Decode(std::string_view text) const {
  if (text.size() > base::Base64EncodedSize(kHeaderBytes + kMaxNameBytes + kMacBytes)) {
    return std::nullopt;
  }
  auto decoded = base::Base64Decode(text);
  if (!decoded) return std::nullopt;
  const std::string_view bytes = *decoded;
  if (bytes.size() < kHeaderBytes + kMacBytes) return std::nullopt;
  if (static_cast<std::uint8_t>(bytes[0]) != kVersion) return std::nullopt;
  const std::size_t name_size = static_cast<unsigned char>(bytes[kHeaderBytes - 1]);
  if (bytes.size() != kHeaderBytes + name_size + kMacBytes) return std::nullopt;
  const std::string_view message = bytes.substr(0, kHeaderBytes + name_size);
  const auto mac = Mac(message);
  // Compared without an early exit, so timing does not tell how much of a
  // forged MAC was right.
  unsigned diff = 0;
  for (std::size_t i = 0; i < kMacBytes; ++i) {
    diff |= static_cast<unsigned>(mac[i] ^ static_cast<unsigned char>(bytes[message.size() + i]));
  }
  if (diff != 0) return std::nullopt;
  ShardPosition position;
  position.issued_us = static_cast<std::int64_t>(GetU64(bytes, 1));
  position.stream_created_us = static_cast<std::int64_t>(GetU64(bytes, 9));
  for (std::size_t i = 0; i < 4; ++i) {
    position.shard |= std::uint32_t{static_cast<unsigned char>(bytes[17 + i])} << (8 * i);
  }
  position.sequence = GetU64(bytes, 21);
  position.stream.assign(bytes.substr(kHeaderBytes, name_size));
  return position;
}

}  // namespace promorec::kinesis
