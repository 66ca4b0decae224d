#include "promorec/trainer/online_learner.h"

#include <gtest/gtest.h>

#include <random>

#include "promorec/base/mem_env.h"
#include "promorec/trainer/ffm_trainer.h"

namespace promorec::trainer {
namespace {

constexpr std::uint32_t kUsers = 200, kOffers = 40;

// Shoppers like offers of their own group (u % 4 == o % 4 + shift): the
// shift changes what they like, as tastes drift between two nights.
void Examples(std::size_t rows, std::uint64_t seed, std::uint32_t shift, Dataset* data) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::uint32_t> user(0, kUsers - 1), offer(0, kOffers - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint32_t u = user(rng), o = offer(rng);
    const double p = (u % 4 == (o + shift) % 4) ? 0.6 : 0.05;
    const model::Feature row[] = {{0, u, 1}, {1, kUsers + o, 1}};
    data->AddRow(coin(rng) < p ? 1.0f : 0.0f, row);
  }
}

double LossOf(const OnlineLearner& learner, const Dataset& data) {
  auto params = learner.ExportParams();
  EXPECT_TRUE(params);
  return EvaluateLogLoss(*params, data);
}

TEST(OnlineLearnerTest, FollowsDriftFromAStreamOfExamples) {
  Dataset night1, stream, holdout;
  Examples(40000, 1, 0, &night1);
  Examples(40000, 2, 1, &stream);
  Examples(5000, 3, 1, &holdout);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.epochs = 5;
  options.deterministic = true;
  auto batch = Train(*env, night1, nullptr, kUsers + kOffers, 2, options);
  ASSERT_TRUE(batch);
  const SgdOptions sgd{options.eta,          options.lambda,       options.lambda_linear,
                       options.prior_latent, options.prior_linear, options.normalise};
  auto learner =
      OnlineLearner::Create(batch->params, batch->optimiser, night1.FeatureCounts(), sgd);
  ASSERT_TRUE(learner) << learner.error().ToString();
  const double before = LossOf(*learner, holdout);
  std::vector<model::Feature> row;
  double first_half = 0, second_half = 0;
  for (std::size_t i = 0; i < stream.rows(); ++i) {
    const double loss = learner->Learn(stream.Row(i, &row), stream.label(i));
    (i < stream.rows() / 2 ? first_half : second_half) += loss;
  }
  EXPECT_EQ(learner->examples(), stream.rows());
  EXPECT_LT(second_half, first_half) << "progressive loss falls as the model adapts";
  const double after = LossOf(*learner, holdout);
  EXPECT_LT(after, before - 0.05) << "before " << before << " after " << after;
  // Every feature of the stream was counted on top of the batch counts.
  const auto batch_counts = night1.FeatureCounts();
  const auto stream_counts = stream.FeatureCounts();
  for (std::uint32_t f = 0; f < kUsers + kOffers; ++f) {
    ASSERT_EQ(learner->counts()[f], batch_counts[f] + stream_counts[f]) << f;
  }
}

TEST(OnlineLearnerTest, SkipsFeaturesTheModelDoesNotHave) {
  auto params = model::FfmParams::Create({model::ModelType::kFfm, 4, 2, 4}, 1, 0.1f);
  ASSERT_TRUE(params);
  auto learner = OnlineLearner::Create(*params, {}, {}, SgdOptions{});
  ASSERT_TRUE(learner);
  const model::Feature row[] = {{0, 1, 1}, {1, 99, 1}, {7, 2, 1}};
  const double loss = learner->Learn(row, 1);
  EXPECT_GT(loss, 0);
  EXPECT_EQ(learner->counts()[1], 1u);
  EXPECT_EQ(learner->counts()[2], 0u) << "field 7 is outside the model";
  auto out = learner->ExportParams();
  ASSERT_TRUE(out);
  EXPECT_NE(out->linear()[1], 0.0f);
  EXPECT_EQ(out->linear()[2], 0.0f);
}

TEST(OnlineLearnerTest, RefusesAnOptimiserOfTheWrongSize) {
  auto params = model::FfmParams::Create({model::ModelType::kFfm, 4, 2, 4}, 1, 0.1f);
  ASSERT_TRUE(params);
  const std::vector<float> wrong(5, 1.0f);
  auto learner = OnlineLearner::Create(*params, wrong, {}, SgdOptions{});
  ASSERT_FALSE(learner);
  EXPECT_EQ(learner.error().message(), "optimiser state has 5 floats, the model needs 37");
}

}  // namespace
}  // namespace promorec::trainer
