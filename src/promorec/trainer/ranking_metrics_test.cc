#include "promorec/trainer/ranking_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace promorec::trainer {
namespace {

TEST(RankingMetricsTest, PerfectAndWorstRankings) {
  // One user, two positives among four rows.
  const std::uint32_t group[] = {7, 7, 7, 7};
  const float labels[] = {1, 0, 1, 0};
  const float perfect[] = {0.9f, 0.1f, 0.8f, 0.2f};
  const RankingMetrics best = RankByGroup(group, perfect, labels, 10);
  EXPECT_EQ(best.groups, 1u);
  EXPECT_DOUBLE_EQ(best.map, 1.0);
  EXPECT_DOUBLE_EQ(best.ndcg, 1.0);
  const float worst[] = {0.1f, 0.9f, 0.2f, 0.8f};
  const RankingMetrics bad = RankByGroup(group, worst, labels, 10);
  // Positives at ranks 3 and 4: AP = (1/3 + 2/4) / 2.
  EXPECT_NEAR(bad.map, (1.0 / 3 + 2.0 / 4) / 2, 1e-12);
  const double dcg = 1 / std::log2(4.0) + 1 / std::log2(5.0);
  const double ideal = 1 / std::log2(2.0) + 1 / std::log2(3.0);
  EXPECT_NEAR(bad.ndcg, dcg / ideal, 1e-12);
}

TEST(RankingMetricsTest, CutOffAtKAndGroupsWithoutPositivesSkipped) {
  const std::uint32_t group[] = {1, 1, 1, 2, 2};
  const float labels[] = {0, 0, 1, 0, 0};
  const float scores[] = {0.9f, 0.8f, 0.1f, 0.5f, 0.4f};
  // The positive is at rank 3, beyond k = 2: nothing counts.
  const RankingMetrics at2 = RankByGroup(group, scores, labels, 2);
  EXPECT_EQ(at2.groups, 1u);
  EXPECT_DOUBLE_EQ(at2.map, 0.0);
  EXPECT_DOUBLE_EQ(at2.ndcg, 0.0);
  const RankingMetrics at3 = RankByGroup(group, scores, labels, 3);
  EXPECT_NEAR(at3.map, 1.0 / 3, 1e-12);
  EXPECT_NEAR(at3.ndcg, 1 / std::log2(4.0), 1e-12);
}

TEST(RankingMetricsTest, MeanOverUsers) {
  // User 1 ranked perfectly, user 2 worst: the mean of 1 and 1/2.
  const std::uint32_t group[] = {2, 1, 2, 1};
  const float labels[] = {1, 1, 0, 0};
  const float scores[] = {0.1f, 0.9f, 0.9f, 0.1f};
  const RankingMetrics m = RankByGroup(group, scores, labels, 5);
  EXPECT_EQ(m.groups, 2u);
  EXPECT_NEAR(m.map, (1.0 + 0.5) / 2, 1e-12);
}

TEST(RankingMetricsTest, FrequencyBuckets) {
  EXPECT_EQ(FrequencyBucket(0), 0u);
  EXPECT_EQ(FrequencyBucket(1), 1u);
  EXPECT_EQ(FrequencyBucket(9), 1u);
  EXPECT_EQ(FrequencyBucket(10), 2u);
  EXPECT_EQ(FrequencyBucket(999), 3u);
  EXPECT_EQ(FrequencyBucket(5000), 4u);
  EXPECT_EQ(FrequencyBucketName(0), "0");
  EXPECT_EQ(FrequencyBucketName(1), "1-9");
  EXPECT_EQ(FrequencyBucketName(4), "1000+");
}

}  // namespace
}  // namespace promorec::trainer
