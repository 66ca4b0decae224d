#include "promorec/sim/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace promorec::sim {
namespace {

TEST(MetricsTest, LogLossOfKnownValues) {
  const std::vector<double> probs = {0.9, 0.2};
  const std::vector<std::uint8_t> labels = {1, 0};
  EXPECT_NEAR(*LogLoss(probs, labels), -(std::log(0.9) + std::log(0.8)) / 2, 1e-12);
  EXPECT_FALSE(LogLoss({}, {}).has_value());
  const std::vector<double> sure = {0.0};
  const std::vector<std::uint8_t> wrong = {1};
  EXPECT_TRUE(std::isfinite(*LogLoss(sure, wrong)));
}

TEST(MetricsTest, AucPerfectReversedAndTied) {
  const std::vector<std::uint8_t> labels = {0, 0, 1, 1};
  const std::vector<double> perfect = {0.1, 0.2, 0.8, 0.9};
  const std::vector<double> reversed = {0.9, 0.8, 0.2, 0.1};
  const std::vector<double> tied = {0.5, 0.5, 0.5, 0.5};
  EXPECT_DOUBLE_EQ(*Auc(perfect, labels), 1.0);
  EXPECT_DOUBLE_EQ(*Auc(reversed, labels), 0.0);
  EXPECT_DOUBLE_EQ(*Auc(tied, labels), 0.5);
}

TEST(MetricsTest, AucCountsTiesAsHalf) {
  // Pairs (pos, neg): (0.5 vs 0.5) tie, (0.5 vs 0.1) win, (0.9 vs both) wins.
  const std::vector<double> scores = {0.5, 0.9, 0.5, 0.1};
  const std::vector<std::uint8_t> labels = {1, 1, 0, 0};
  EXPECT_DOUBLE_EQ(*Auc(scores, labels), 3.5 / 4.0);
}

TEST(MetricsTest, AucNeedsBothClasses) {
  const std::vector<double> scores = {0.1, 0.2};
  const std::vector<std::uint8_t> ones = {1, 1};
  EXPECT_FALSE(Auc(scores, ones).has_value());
}

}  // namespace
}  // namespace promorec::sim
