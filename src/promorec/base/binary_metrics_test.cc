#include "promorec/base/binary_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace promorec::base {
namespace {

TEST(MetricsTest, LogLossOfKnownValues) {
  const std::vector<double> probs = {0.9, 0.2};
  const std::vector<std::uint8_t> labels = {1, 0};
  EXPECT_NEAR(*LogLoss(probs, labels), -(std::log(0.9) + std::log(0.8)) / 2, 1e-12);
  EXPECT_FALSE(LogLoss(std::vector<double>{}, std::vector<std::uint8_t>{}).has_value());
  const std::vector<double> sure = {0.0};
  const std::vector<std::uint8_t> wrong = {1};
  EXPECT_TRUE(std::isfinite(*LogLoss(sure, wrong)));
  EXPECT_FALSE(LogLoss(probs, std::vector<std::uint8_t>{1}).has_value()) << "sizes differ";
}

// Float probabilities and labels (the trainer's and eval's) follow the
// same definition, with the same clamp.
TEST(MetricsTest, LogLossOfFloatsIsClampedAlike) {
  const std::vector<float> p = {0.9f, 0.2f};
  const std::vector<float> y = {1, 0};
  EXPECT_NEAR(*LogLoss(p, y), -(std::log(0.9) + std::log(0.8)) / 2, 1e-6);
  const std::vector<float> sure = {1.0f};
  const std::vector<float> wrong = {0};
  EXPECT_NEAR(*LogLoss(sure, wrong), -std::log(1e-7), 1e-3) << "clamped, not infinite";
  EXPECT_NEAR(*LogLoss(std::vector<double>{1.0}, std::vector<std::uint8_t>{0}), -std::log(1e-7),
              1e-3)
      << "doubles are clamped at the same place";
  EXPECT_DOUBLE_EQ(LogisticLoss(0.25, true), -std::log(0.25));
  EXPECT_DOUBLE_EQ(LogisticLoss(0.25, false), -std::log(0.75));
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
  EXPECT_FALSE(Auc(std::vector<float>{0.1f, 0.2f}, std::vector<float>{1, 1}).has_value());
}

TEST(MetricsTest, AucOfFloats) {
  const std::vector<float> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(*Auc(std::vector<float>{0.1f, 0.2f, 0.8f, 0.9f}, y), 1.0);
  EXPECT_DOUBLE_EQ(*Auc(std::vector<float>{0.1f, 0.8f, 0.2f, 0.9f}, y), 0.75);
}

}  // namespace
}  // namespace promorec::base
