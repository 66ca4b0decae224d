#include "promorec/lake/gzip.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace promorec::lake {
namespace {

TEST(GzipTest, RoundTrip) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += std::to_string(i * 7919 % 1000) + ",";
  auto gz = GzipCompress(data);
  ASSERT_TRUE(gz.has_value());
  EXPECT_LT(gz->size(), data.size() / 2);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  EXPECT_EQ(GzipDecompress(*gz).value(), data);
  EXPECT_EQ(GzipDecompress(GzipCompress("").value()).value(), "");
}

TEST(GzipTest, IncompressibleAndLargeDataRoundTrip) {
  std::mt19937_64 rng(7);
  for (const std::size_t size : {std::size_t{1}, std::size_t{65'537}, std::size_t{3'000'000}}) {
    std::string data(size, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    auto gz = GzipCompress(data);
    ASSERT_TRUE(gz.has_value()) << size;
    EXPECT_EQ(GzipDecompress(*gz).value(), data) << size;
  }
  // Highly repetitive: a small member that expands to all of it.
  const std::string zeros(20'000'000, '0');
  auto gz = GzipCompress(zeros);
  ASSERT_TRUE(gz.has_value());
  EXPECT_LT(gz->size(), zeros.size() / 50);
  EXPECT_EQ(GzipDecompress(*gz).value(), zeros);
}

TEST(GzipTest, DamageIsCorruption) {
  const std::string gz = GzipCompress("hello, lake").value();
  EXPECT_EQ(GzipDecompress(gz.substr(0, gz.size() - 3)).error().code(), base::Code::kCorruption);
  std::string flipped = gz;
  flipped[flipped.size() - 6] ^= 0x40;  // in the CRC-32 trailer
  EXPECT_EQ(GzipDecompress(flipped).error().code(), base::Code::kCorruption);
  EXPECT_EQ(GzipDecompress("not gzip").error().code(), base::Code::kCorruption);
  EXPECT_EQ(GzipDecompress(GzipCompress(std::string(1000, 'x')).value(), 100).error().code(),
            base::Code::kOutOfRange);
}

}  // namespace
}  // namespace promorec::lake
