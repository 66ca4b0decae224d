#include "promorec/base/hash.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace promorec::base {
namespace {

TEST(Hash64Test, SameInputSameValue) {
  EXPECT_EQ(Hash64("hello world"), Hash64("hello world"));
  EXPECT_EQ(Hash64("x", 7), Hash64("x", 7));
}

TEST(Hash64Test, SeedAndLengthMatter) {
  EXPECT_NE(Hash64("x", 1), Hash64("x", 2));
  EXPECT_NE(Hash64(std::string_view("\0", 1)), Hash64(std::string_view("\0\0", 2)));
  EXPECT_NE(Hash64(""), Hash64(std::string_view("\0", 1)));
}

TEST(Hash64Test, FewCollisionsOverManyShortKeys) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(Hash64("user-" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100000u);
}

TEST(Hash64Test, EveryInputBitChangesTheValue) {
  std::string base(37, 'a');
  const std::uint64_t h0 = Hash64(base);
  for (std::size_t i = 0; i < base.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string changed = base;
      changed[i] = static_cast<char>(changed[i] ^ (1 << bit));
      EXPECT_NE(Hash64(changed), h0) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(Hasher128Test, BoundariesBetweenValuesMatter) {
  Hasher128 a;
  a.Add("ab");
  a.Add("c");
  Hasher128 b;
  b.Add("a");
  b.Add("bc");
  EXPECT_NE(a.HexDigest(), b.HexDigest());
}

TEST(Hasher128Test, DigestIsStableHex) {
  Hasher128 a;
  a.Add("user");
  a.AddU64(42);
  Hasher128 b;
  b.Add("user");
  b.AddU64(42);
  EXPECT_EQ(a.HexDigest(), b.HexDigest());
  EXPECT_EQ(a.HexDigest().size(), 32u);
  EXPECT_EQ(a.HexDigest().find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace promorec::base
