#include "promorec/trainer/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace promorec::trainer {
namespace {

TEST(MetricsTest, LogLossKnownValues) {
  const std::vector<float> p = {0.9f, 0.2f};
  const std::vector<float> y = {1, 0};
  EXPECT_NEAR(LogLoss(p, y), -(std::log(0.9) + std::log(0.8)) / 2, 1e-6);
  const std::vector<float> sure = {1.0f};
  const std::vector<float> wrong = {0};
  EXPECT_NEAR(LogLoss(sure, wrong), -std::log(1e-7), 1e-3) << "clamped, not infinite";
}

TEST(MetricsTest, AucPerfectRandomAndTies) {
  const std::vector<float> y = {0, 0, 1, 1};
  const std::vector<float> perfect = {0.1f, 0.2f, 0.8f, 0.9f};
  const std::vector<float> reversed = {0.9f, 0.8f, 0.2f, 0.1f};
  const std::vector<float> tied = {0.5f, 0.5f, 0.5f, 0.5f};
  const std::vector<float> one_swap = {0.1f, 0.8f, 0.7f, 0.9f};
  EXPECT_DOUBLE_EQ(Auc(perfect, y), 1.0);
  EXPECT_DOUBLE_EQ(Auc(reversed, y), 0.0);
  EXPECT_DOUBLE_EQ(Auc(tied, y), 0.5);
  EXPECT_DOUBLE_EQ(Auc(one_swap, y), 0.75);
  const std::vector<float> ones = {1, 1};
  EXPECT_DOUBLE_EQ(Auc(std::vector<float>{0.1f, 0.2f}, ones), 0.5);
}

TEST(MetricsTest, RegressionErrors) {
  const std::vector<float> p = {1.0f, 2.0f, 4.0f};
  const std::vector<float> y = {1.0f, 3.0f, 2.0f};
  EXPECT_NEAR(Rmse(p, y), std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_NEAR(MeanAbsoluteError(p, y), 1.0, 1e-12);
  EXPECT_EQ(Rmse({}, {}), 0.0);
  EXPECT_EQ(MeanAbsoluteError({}, {}), 0.0);
}

}  // namespace
}  // namespace promorec::trainer
