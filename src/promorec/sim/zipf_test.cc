#include "promorec/sim/zipf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace promorec::sim {
namespace {

std::vector<double> ExpectedShares(std::uint64_t n, double exponent) {
  std::vector<double> shares(n);
  double total = 0;
  for (std::uint64_t k = 1; k <= n; ++k) {
    shares[k - 1] = std::pow(static_cast<double>(k), -exponent);
    total += shares[k - 1];
  }
  for (double& share : shares) share /= total;
  return shares;
}

void ExpectFollowsLaw(std::uint64_t n, double exponent) {
  auto sampler = ZipfSampler::Create(n, exponent);
  ASSERT_TRUE(sampler.has_value());
  base::Rng rng(42);
  constexpr int kDraws = 400000;
  std::vector<int> counts(n);
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t k = sampler->Sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ++counts[k - 1];
  }
  const std::vector<double> expected = ExpectedShares(n, exponent);
  // The head ranks, each within five standard deviations of its binomial.
  for (std::uint64_t k = 0; k < std::min<std::uint64_t>(n, 20); ++k) {
    const double mean = expected[k] * kDraws;
    const double sd = std::sqrt(mean * (1 - expected[k]));
    EXPECT_NEAR(counts[k], mean, 5 * sd + 1) << "rank " << k + 1 << " exponent " << exponent;
  }
}

TEST(ZipfSamplerTest, FrequenciesFollowTheLaw) {
  ExpectFollowsLaw(1000, 1.1);
  ExpectFollowsLaw(50, 1.0);
  ExpectFollowsLaw(100, 0.5);
  ExpectFollowsLaw(10, 0.0);
  ExpectFollowsLaw(1, 1.1);
}

TEST(ZipfSamplerTest, TailIsReachedAndSlopeIsRight) {
  auto sampler = ZipfSampler::Create(100000, 1.1);
  ASSERT_TRUE(sampler.has_value());
  base::Rng rng(7);
  std::uint64_t rank1 = 0;
  std::uint64_t rank10 = 0;
  std::uint64_t tail = 0;
  for (int i = 0; i < 1000000; ++i) {
    const std::uint64_t k = sampler->Sample(rng);
    rank1 += k == 1 ? 1 : 0;
    rank10 += k == 10 ? 1 : 0;
    tail += k > 50000 ? 1 : 0;
  }
  // P(1) / P(10) = 10^1.1 = 12.6.
  EXPECT_NEAR(static_cast<double>(rank1) / static_cast<double>(rank10), 12.59, 1.0);
  EXPECT_GT(tail, 0u);
}

TEST(ZipfSamplerTest, SameSeedSameDraws) {
  auto sampler = ZipfSampler::Create(5000, 1.1);
  ASSERT_TRUE(sampler.has_value());
  base::Rng a(3);
  base::Rng b(3);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(sampler->Sample(a), sampler->Sample(b));
}

TEST(ZipfSamplerTest, RejectsBadArguments) {
  EXPECT_FALSE(ZipfSampler::Create(0, 1.1).has_value());
  EXPECT_FALSE(ZipfSampler::Create(10, -1.0).has_value());
  EXPECT_FALSE(ZipfSampler::Create(10, std::nan("")).has_value());
}

}  // namespace
}  // namespace promorec::sim
