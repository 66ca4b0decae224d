// Kinesis's record-to-shard rule: a shard owns an even slice of the 128-bit
// hash-key space, and a record's hash key is the MD5 of its partition key
// read as an unsigned big-endian integer, or an explicit hash key.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::eventlog {

__extension__ using HashKey = unsigned __int128;

// MD5 of the partition key as a big-endian 128-bit integer.
HashKey PartitionKeyHash(std::string_view partition_key);

// A decimal hash key ("0" .. "340282366920938463463374607431768211455").
[[nodiscard]] base::Result<HashKey> ParseHashKey(std::string_view decimal);
std::string HashKeyToDecimal(HashKey key);

// Shard `shard` of `shard_count` owns [StartingHashKey, EndingHashKey].
HashKey StartingHashKey(std::uint32_t shard, std::uint32_t shard_count);
HashKey EndingHashKey(std::uint32_t shard, std::uint32_t shard_count);
std::uint32_t ShardForHashKey(HashKey key, std::uint32_t shard_count);

}  // namespace promorec::eventlog
