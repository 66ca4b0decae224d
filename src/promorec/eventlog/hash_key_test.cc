#include "promorec/eventlog/hash_key.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace promorec::eventlog {
namespace {

HashKey Parse(std::string_view decimal) {
  auto key = ParseHashKey(decimal);
  EXPECT_TRUE(key.has_value()) << decimal << ": " << key.error().ToString();
  return key.value_or(0);
}

std::string Dec(HashKey key) { return HashKeyToDecimal(key); }

constexpr HashKey kMax = ~HashKey{0};

TEST(HashKey, PartitionKeyHashIsMd5BigEndian) {
  // Values from Python: int.from_bytes(hashlib.md5(k).digest(), "big").
  EXPECT_EQ(Dec(PartitionKeyHash("")), "281949768489412648962353822266799178366");
  EXPECT_EQ(Dec(PartitionKeyHash("user-1")), "285573413173782752570879317399258818820");
  EXPECT_EQ(Dec(PartitionKeyHash("andy")), "290113034482663353659880711713516148334");
  EXPECT_EQ(Dec(PartitionKeyHash("shop-42")), "115689574143467222575336378161254942948");
  EXPECT_EQ(Dec(PartitionKeyHash("\xc3\xbc"
                                 "ber")),
            "178158905319505738808198636181496593820");
}

TEST(HashKey, KnownShardsOfFour) {
  // Computed in Python as md5(key) * 4 >> 128.
  const struct {
    const char* key;
    std::uint32_t shard;
  } kCases[] = {
      {"", 3},
      {"user-1", 3},
      {"andy", 3},
      {"shop-42", 1},
      {"\xc3\xbc"
       "ber",
       2},
      {"user-2", 0},
      {"user-3", 0},
      {"user-6", 1},
      {"user-7", 1},
      {"user-8", 3},
      {"user-9", 2},
      {"user-10", 2},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(ShardForHashKey(PartitionKeyHash(c.key), 4), c.shard) << c.key;
  }
}

TEST(HashKey, KinesisShardRanges) {
  EXPECT_EQ(Dec(StartingHashKey(0, 2)), "0");
  EXPECT_EQ(Dec(EndingHashKey(0, 2)), "170141183460469231731687303715884105727");
  EXPECT_EQ(Dec(StartingHashKey(1, 2)), "170141183460469231731687303715884105728");
  EXPECT_EQ(EndingHashKey(1, 2), kMax);

  EXPECT_EQ(Dec(EndingHashKey(0, 3)), "113427455640312821154458202477256070484");
  EXPECT_EQ(Dec(StartingHashKey(1, 3)), "113427455640312821154458202477256070485");
  EXPECT_EQ(Dec(StartingHashKey(2, 3)), "226854911280625642308916404954512140970");
  EXPECT_EQ(Dec(EndingHashKey(2, 3)), "340282366920938463463374607431768211455");

  EXPECT_EQ(Dec(EndingHashKey(0, 4)), "85070591730234615865843651857942052863");
  EXPECT_EQ(Dec(StartingHashKey(3, 4)), "255211775190703847597530955573826158592");

  EXPECT_EQ(Dec(StartingHashKey(1, 7)), "48611766702991209066196372490252601636");
  EXPECT_EQ(Dec(StartingHashKey(3, 7)), "145835300108973627198589117470757804909");
  EXPECT_EQ(Dec(StartingHashKey(3, 1024)), "996920996838686904677855295210258432");

  EXPECT_EQ(StartingHashKey(0, 1), 0u);
  EXPECT_EQ(EndingHashKey(0, 1), kMax);
}

TEST(HashKey, RangesTileTheKeySpace) {
  for (std::uint32_t n : {1u, 2u, 3u, 5u, 7u, 10u, 64u, 100u, 1000u, 1024u}) {
    EXPECT_EQ(StartingHashKey(0, n), 0u);
    EXPECT_EQ(EndingHashKey(n - 1, n), kMax);
    for (std::uint32_t i = 0; i + 1 < n; ++i) {
      ASSERT_EQ(EndingHashKey(i, n) + 1, StartingHashKey(i + 1, n)) << i << " of " << n;
      ASSERT_LT(StartingHashKey(i, n), StartingHashKey(i + 1, n));
    }
  }
}

TEST(HashKey, ShardForHashKeyAgreesWithRanges) {
  std::mt19937_64 rng(42);
  for (std::uint32_t n : {1u, 2u, 3u, 4u, 7u, 13u, 100u, 1024u}) {
    for (std::uint32_t i = 0; i < n; ++i) {
      ASSERT_EQ(ShardForHashKey(StartingHashKey(i, n), n), i);
      ASSERT_EQ(ShardForHashKey(EndingHashKey(i, n), n), i);
    }
    for (int k = 0; k < 2000; ++k) {
      const HashKey key = (static_cast<HashKey>(rng()) << 64) | rng();
      const std::uint32_t shard = ShardForHashKey(key, n);
      ASSERT_LT(shard, n);
      ASSERT_LE(StartingHashKey(shard, n), key);
      ASSERT_GE(EndingHashKey(shard, n), key);
    }
  }
}

TEST(HashKey, ParsesAndPrintsDecimal) {
  EXPECT_EQ(Parse("0"), 0u);
  EXPECT_EQ(Parse("7"), 7u);
  EXPECT_EQ(Parse("340282366920938463463374607431768211455"), kMax);
  EXPECT_EQ(Dec(0), "0");
  EXPECT_EQ(Dec(kMax), "340282366920938463463374607431768211455");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    const HashKey key = (static_cast<HashKey>(rng()) << 64) | rng();
    ASSERT_EQ(Parse(Dec(key)), key);
  }
}

TEST(HashKey, RejectsMalformedDecimal) {
  const struct {
    const char* text;
    const char* why;
  } kCases[] = {
      {"", "hash key is empty"},
      {"+1", "hash key '+1' is not a decimal number (digits 0-9 only)"},
      {"-1", "hash key '-1' is not a decimal number (digits 0-9 only)"},
      {" 1", "hash key ' 1' is not a decimal number (digits 0-9 only)"},
      {"1 ", "hash key '1 ' is not a decimal number (digits 0-9 only)"},
      {"0x10", "hash key '0x10' has a leading zero"},
      {"1e9", "hash key '1e9' is not a decimal number (digits 0-9 only)"},
      {"007", "hash key '007' has a leading zero"},
      {"340282366920938463463374607431768211456",
       "hash key '340282366920938463463374607431768211456' is above 2^128 - 1 "
       "(340282366920938463463374607431768211455)"},
      {"1000000000000000000000000000000000000000",
       "hash key '1000000000000000000000000000000000000000' is above 2^128 - 1 "
       "(340282366920938463463374607431768211455)"},
  };
  for (const auto& c : kCases) {
    auto key = ParseHashKey(c.text);
    ASSERT_FALSE(key.has_value()) << c.text;
    EXPECT_EQ(key.error().code(), base::Code::kInvalidArgument);
    EXPECT_EQ(key.error().message(), c.why);
  }
}

}  // namespace
}  // namespace promorec::eventlog
