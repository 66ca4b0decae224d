// MD5 (RFC 1321), needed only where an outside format fixes it: Kinesis maps
// a partition key to a shard by the MD5 of the key. Not for security. Runs on
// the caller's stack without allocating, since every appended record hashes
// its partition key. Thread-safety: pure function.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace promorec::base {

// The 16-byte digest, in the byte order RFC 1321 prints it.
std::array<std::uint8_t, 16> Md5(std::string_view data);

}  // namespace promorec::base
