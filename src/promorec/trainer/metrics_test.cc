#include "promorec/trainer/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace promorec::trainer {
namespace {

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
