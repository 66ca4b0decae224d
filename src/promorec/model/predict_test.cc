#include "promorec/model/predict.h"

#include <gtest/gtest.h>

#include <cmath>

namespace promorec::model {
namespace {

TEST(PredictTest, NormalisationScalesPairsNotLinearTerms) {
  auto params = FfmParams::Create({ModelType::kFfm, 4, 2, 2}, 3, 1.0f);
  ASSERT_TRUE(params);
  params->bias() = 0.5f;
  params->linear()[0] = 0.25f;
  params->linear()[2] = -0.75f;
  const Feature row[] = {{0, 0, 2.0f}, {1, 2, 1.0f}};
  const float* v1 = params->latent_of(0, 1);
  const float* v2 = params->latent_of(2, 0);
  const float dot = v1[0] * v2[0] + v1[1] * v2[1];
  const float sum = 2.0f * 2.0f + 1.0f;
  const float expected = 0.5f + 0.25f * 2.0f - 0.75f + dot * 2.0f * 1.0f / sum;
  std::vector<Feature> scratch;
  EXPECT_NEAR(PredictLogit(*params, row, true, &scratch), expected, 1e-5f);
  EXPECT_NEAR(PredictLogit(*params, row, false, &scratch), ScoreRow(*params, row), 1e-6f);
  EXPECT_NEAR(PredictProbability(*params, row, true, &scratch), 1 / (1 + std::exp(-expected)),
              1e-6f);
}

}  // namespace
}  // namespace promorec::model
