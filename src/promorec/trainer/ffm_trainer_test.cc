#include "promorec/trainer/ffm_trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "promorec/base/binary_metrics.h"
#include "promorec/base/mem_env.h"
#include "promorec/model/ffm_kernel.h"
#include "promorec/model/predict.h"

namespace promorec::trainer {
namespace {

// Users and offers each belong to one of 4 groups; a shopper clicks an
// offer of their own group far more often. Only the user x offer
// interaction explains the clicks, so a model has to learn it.
void Planted(std::size_t rows, std::uint64_t seed, Dataset* data) {
  std::mt19937_64 rng(seed);
  constexpr std::uint32_t kUsers = 200, kOffers = 50;
  std::uniform_int_distribution<std::uint32_t> user(0, kUsers - 1), offer(0, kOffers - 1);
  std::uniform_real_distribution<double> coin(0, 1);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint32_t u = user(rng), o = offer(rng);
    const double p = (u % 4 == o % 4) ? 0.6 : 0.05;
    const model::Feature row[] = {{0, u, 1}, {1, kUsers + o, 1}, {2, kUsers + kOffers + u % 3, 1}};
    data->AddRow(coin(rng) < p ? 1.0f : 0.0f, row);
  }
}

// Clicks from a small field-aware model: Zipf-popular users (many seen a
// few times), offers and a context field, each pair of fields interacting
// through random latent vectors. Noisy enough that training overfits the
// rare users after a few epochs.
void PlantedFieldAware(std::size_t rows, std::uint64_t seed, Dataset* data) {
  constexpr std::uint32_t kUsers = 3000, kOffers = 100, kContexts = 10, kK = 4;
  std::mt19937_64 truth(99);  // the same model for every seed
  std::normal_distribution<float> normal(0, 0.7f);
  std::vector<float> v((kUsers + kOffers + kContexts) * 3 * kK);
  for (float& x : v) x = normal(truth);
  const auto vec = [&](std::uint32_t id, std::uint32_t towards) {
    return v.data() + (static_cast<std::size_t>(id) * 3 + towards) * kK;
  };
  const auto dot = [&](const float* a, const float* b) {
    float sum = 0;
    for (std::uint32_t d = 0; d < kK; ++d) sum += a[d] * b[d];
    return sum;
  };
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> coin(0, 1);
  for (std::size_t i = 0; i < rows; ++i) {
    // Rank ~ 1 / u: a heavy tail of rarely seen users.
    const auto u = static_cast<std::uint32_t>(std::min<double>(kUsers - 1, 1.0 / coin(rng) - 1));
    const auto o = kUsers + static_cast<std::uint32_t>(coin(rng) * kOffers);
    const auto c = kUsers + kOffers + static_cast<std::uint32_t>(coin(rng) * kContexts);
    const float logit =
        -2.0f + dot(vec(u, 1), vec(o, 0)) + dot(vec(u, 2), vec(c, 0)) + dot(vec(o, 2), vec(c, 1));
    const model::Feature row[] = {{0, u, 1}, {1, o, 1}, {2, c, 1}};
    data->AddRow(coin(rng) < 1 / (1 + std::exp(-static_cast<double>(logit))) ? 1.0f : 0.0f, row);
  }
}

std::vector<float> Predictions(const model::FfmParams& params, const Dataset& data) {
  std::vector<float> out;
  std::vector<model::Feature> row, scratch;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    out.push_back(model::PredictProbability(params, data.Row(i, &row), true, &scratch));
  }
  return out;
}

double BestValidLoss(const TrainResult& result) {
  double best = 1e9;
  for (const auto& e : result.epochs) best = std::min(best, *e.valid_loss);
  return best;
}

std::vector<float> Labels(const Dataset& data) {
  std::vector<float> out;
  for (std::size_t i = 0; i < data.rows(); ++i) out.push_back(data.label(i));
  return out;
}

// Ratings from a planted user x offer interaction plus noise: with squared
// loss the model predicts them (raw scores, not probabilities), far better
// than their mean does, and reports mean squared errors.
TEST(FfmTrainerTest, SquaredLossLearnsARegression) {
  const auto make = [](std::size_t rows, std::uint64_t seed, Dataset* data) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::uint32_t> user(0, 199), offer(0, 49);
    std::normal_distribution<float> noise(0, 0.3f);
    for (std::size_t i = 0; i < rows; ++i) {
      const std::uint32_t u = user(rng), o = offer(rng);
      const float rating = 3.0f + (u % 4 == o % 4 ? 1.5f : -1.0f) + noise(rng);
      const model::Feature row[] = {{0, u, 1}, {1, 200 + o, 1}};
      data->AddRow(rating, row);
    }
  };
  Dataset train, valid;
  make(40000, 1, &train);
  make(5000, 2, &valid);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.loss = model::Loss::kSquared;
  options.eta = 0.1f;
  options.epochs = 15;
  options.deterministic = true;
  options.snapshot_path = "/snapshot";
  auto result = Train(*env, train, &valid, 0, 0, options);
  ASSERT_TRUE(result) << result.error().ToString();
  double mean = 0, variance = 0, error = 0;
  std::vector<model::Feature> row, scratch;
  for (std::size_t i = 0; i < valid.rows(); ++i) mean += static_cast<double>(valid.label(i));
  mean /= static_cast<double>(valid.rows());
  for (std::size_t i = 0; i < valid.rows(); ++i) {
    const double score = model::PredictLogit(result->params, valid.Row(i, &row), true, &scratch);
    const double y = valid.label(i);
    variance += (y - mean) * (y - mean);
    error += (score - y) * (score - y);
  }
  variance /= static_cast<double>(valid.rows());
  error /= static_cast<double>(valid.rows());
  EXPECT_GT(variance, 1.0);  // the ratings spread well beyond the noise
  EXPECT_LT(error, 0.2) << "noise alone is 0.09";
  EXPECT_NEAR(BestValidLoss(*result), error, 0.05) << "the reported loss is the squared error";
}

TEST(FfmTrainerTest, LearnsThePlantedInteraction) {
  Dataset train, valid;
  Planted(40000, 1, &train);
  Planted(5000, 2, &valid);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.epochs = 6;
  options.patience = 0;
  auto result = Train(*env, train, &valid, 0, 0, options);
  ASSERT_TRUE(result) << result.error().ToString();
  const auto p = Predictions(result->params, valid);
  const auto y = Labels(valid);
  EXPECT_GT(*base::Auc(p, y), 0.8);
  // Better than always predicting the base rate.
  double rate = 0;
  for (float v : y) rate += static_cast<double>(v);
  rate /= static_cast<double>(y.size());
  const double base_rate_loss = -(rate * std::log(rate) + (1 - rate) * std::log(1 - rate));
  EXPECT_LT(*base::LogLoss(p, y), base_rate_loss - 0.05);
  EXPECT_NEAR(*base::LogLoss(p, y), *result->epochs.back().valid_loss, 1e-4);
  EXPECT_LT(result->epochs.back().train_loss, result->epochs.front().train_loss);
}

TEST(FfmTrainerTest, DeterministicModeIsBitIdentical) {
  Dataset train;
  Planted(5000, 3, &train);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.epochs = 2;
  options.deterministic = true;
  options.threads = 2;
  auto a = Train(*env, train, nullptr, 0, 0, options);
  auto b = Train(*env, train, nullptr, 0, 0, options);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(std::memcmp(a->params.latent().data(), b->params.latent().data(),
                        a->params.latent().size_bytes()),
            0);
  EXPECT_EQ(a->params.bias(), b->params.bias());
  options.seed = 2;
  auto c = Train(*env, train, nullptr, 0, 0, options);
  EXPECT_NE(std::memcmp(a->params.latent().data(), c->params.latent().data(),
                        a->params.latent().size_bytes()),
            0);
}

TEST(FfmTrainerTest, HogwildThreadsLearnToo) {
  Dataset train, valid;
  Planted(40000, 4, &train);
  Planted(5000, 5, &valid);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.epochs = 6;
  options.threads = 2;
  options.patience = 0;
  auto result = Train(*env, train, &valid, 0, 0, options);
  ASSERT_TRUE(result);
  EXPECT_GT(*base::Auc(Predictions(result->params, valid), Labels(valid)), 0.8);
}

// Deterministic runs with early stopping on validation rows: field-aware
// data on which training overfits after a few epochs, or (`small`) a small
// planted set without regularisation, which overfits at once.
struct EarlyStoppingRun {
  Dataset train, valid;
  std::unique_ptr<base::Env> env = base::NewMemEnv();
  TrainOptions options;
  explicit EarlyStoppingRun(bool small = false) {
    if (small) {
      Planted(3000, 6, &train);
      Planted(3000, 7, &valid);
      options.eta = 0.5f;
      options.lambda = 0;
    } else {
      PlantedFieldAware(30000, 6, &train);
      PlantedFieldAware(10000, 7, &valid);
    }
    options.epochs = 40;
    options.deterministic = true;
    options.snapshot_path = "/snapshot";
  }
  base::Result<TrainResult> Run() const { return Train(*env, train, &valid, 0, 0, options); }
};

TEST(FfmTrainerTest, EarlyStoppingReturnsTheBestEpoch) {
  EarlyStoppingRun run(true);
  TrainOptions& options = run.options;
  options.patience = 2;
  options.average = false;
  options.anneal = 0;
  auto result = run.Run();
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_LT(result->epochs.size(), 40u) << "small data, no regularisation: it must overfit";
  EXPECT_FALSE(result->averaged_valid_loss);
  const double best = BestValidLoss(*result);
  EXPECT_EQ(*result->epochs[static_cast<std::size_t>(result->best_epoch - 1)].valid_loss, best);
  // The trainer scores validation rows with its own SSE loop and
  // EvaluateLogLoss with the serving kernel: float sums in another order.
  EXPECT_NEAR(EvaluateLogLoss(result->params, run.valid), best, 1e-6)
      << "the returned parameters are the best epoch's";
  EXPECT_FALSE(run.env->FileExists("/snapshot").value());
}

// With averaging on, the model returned after early stopping is the mean
// of the best epoch and the next one when that scores better on the
// validation rows; its logloss there is below every epoch's.
TEST(FfmTrainerTest, EarlyStoppingAveragesTheBestEpochWithTheNext) {
  EarlyStoppingRun run;
  TrainOptions& options = run.options;
  options.anneal = 0;
  auto result = run.Run();
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_LT(result->epochs.size(), 40u);
  const double best = BestValidLoss(*result);
  ASSERT_TRUE(result->averaged_valid_loss) << "on this data the mean beats the best epoch";
  EXPECT_LT(*result->averaged_valid_loss, best);
  EXPECT_NEAR(EvaluateLogLoss(result->params, run.valid), *result->averaged_valid_loss, 1e-6)
      << "the returned parameters are the mean";
  EXPECT_FALSE(run.env->FileExists("/snapshot").value());
}

// The validation losses of the full-rate epochs, in order.
std::vector<double> FullRateLosses(const TrainResult& result) {
  std::vector<double> out;
  for (const auto& e : result.epochs) {
    if (!e.annealed) out.push_back(*e.valid_loss);
  }
  return out;
}

// After early stopping, a pass at a smaller rate: on this data it lowers
// the validation loss below every full-rate epoch's (and their mean), and
// the model returned is that pass's.
TEST(FfmTrainerTest, PassAtASmallerRateSettlesNearerTheOptimum) {
  EarlyStoppingRun run;
  auto result = run.Run();
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_GE(result->epochs.size(), 2u);
  EXPECT_TRUE(result->epochs.back().annealed);
  EXPECT_EQ(result->epochs.back().epoch, static_cast<int>(result->epochs.size()));
  ASSERT_TRUE(result->annealed_valid_loss) << "on this data the pass helps";
  const auto full = FullRateLosses(*result);
  EXPECT_LT(*result->annealed_valid_loss, *std::min_element(full.begin(), full.end()));
  if (result->averaged_valid_loss) {
    EXPECT_LT(*result->annealed_valid_loss, *result->averaged_valid_loss);
  }
  EXPECT_NEAR(EvaluateLogLoss(result->params, run.valid), *result->annealed_valid_loss, 1e-6)
      << "the returned parameters are the pass's";
  EXPECT_FALSE(run.env->FileExists("/snapshot").value());
}

// anneal_when: the full-rate epochs end at the first epoch that gains less
// than that fraction of the gain before it; at 0, only when the validation
// loss rises.
TEST(FfmTrainerTest, ShrinkingGainsEndTheFullRateEarly) {
  EarlyStoppingRun run;
  TrainOptions& options = run.options;
  options.average = false;
  options.anneal_when = 0.9f;
  auto early = run.Run();
  ASSERT_TRUE(early) << early.error().ToString();
  const auto losses = FullRateLosses(*early);
  ASSERT_GE(losses.size(), 3u);
  const std::size_t n = losses.size();
  for (std::size_t i = 1; i < n; ++i) EXPECT_LT(losses[i], losses[i - 1]) << "still falling";
  EXPECT_LT(losses[n - 2] - losses[n - 1], 0.9 * (losses[n - 3] - losses[n - 2]));
  for (std::size_t i = 2; i + 1 < n; ++i) {
    EXPECT_GE(losses[i - 1] - losses[i], 0.9 * (losses[i - 2] - losses[i - 1]));
  }
  EXPECT_TRUE(early->epochs.back().annealed);

  options.anneal_when = 0;
  auto late = run.Run();
  ASSERT_TRUE(late);
  const auto all = FullRateLosses(*late);
  EXPECT_GT(all.size(), n);
  EXPECT_GT(all.back(), all[all.size() - 2]) << "ran until the loss rose";
}

// A pass that does not lower the validation loss is undone: here a pass
// at the full rate after the model has started to overfit.
TEST(FfmTrainerTest, PassThatDoesNotHelpIsUndone) {
  EarlyStoppingRun run(true);
  TrainOptions& options = run.options;
  options.average = false;
  options.anneal = 1;
  options.anneal_when = 0;
  auto result = run.Run();
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_TRUE(result->epochs.back().annealed);
  const auto full = FullRateLosses(*result);
  const double best = *std::min_element(full.begin(), full.end());
  ASSERT_GE(*result->epochs.back().valid_loss, best);
  EXPECT_FALSE(result->annealed_valid_loss);
  EXPECT_NEAR(EvaluateLogLoss(result->params, run.valid), best, 1e-6);
}

// The validation rows are learned at the rate times valid_rate.
TEST(FfmTrainerTest, ValidationRowsAreLearnedAtTheirOwnRate) {
  EarlyStoppingRun run;
  TrainOptions& options = run.options;
  options.epochs = 3;
  std::vector<double> moved;
  for (const float rate : {0.1f, 1.0f}) {
    options.valid_rate = rate;
    options.learn_valid = false;
    auto before = run.Run();
    options.learn_valid = true;
    auto after = run.Run();
    ASSERT_TRUE(before && after);
    double distance = 0;
    for (std::size_t i = 0; i < after->params.latent().size(); ++i) {
      const double d = after->params.latent()[i] - before->params.latent()[i];
      distance += d * d;
    }
    moved.push_back(distance);
  }
  EXPECT_GT(moved[0], 0);
  EXPECT_LT(moved[0] * 4, moved[1]) << "a tenth of the rate moves the model much less";
}

TEST(FfmTrainerTest, WarmStartContinuesFromAnEarlierModel) {
  Dataset train, valid;
  Planted(20000, 8, &train);
  Planted(5000, 9, &valid);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.epochs = 1;
  options.patience = 0;
  options.deterministic = true;
  auto first = Train(*env, train, &valid, 0, 0, options);
  ASSERT_TRUE(first);
  auto second = Train(*env, train, &valid, 0, 0, options, {}, &first->params, &first->optimiser);
  ASSERT_TRUE(second);
  EXPECT_LT(*second->epochs.back().valid_loss, *first->epochs.back().valid_loss);
  auto fresh = Train(*env, train, &valid, 0, 0, options);
  EXPECT_EQ(*fresh->epochs.back().valid_loss, *first->epochs.back().valid_loss);
}

TEST(FfmTrainerTest, BadOptionsAreRefused) {
  Dataset train;
  Planted(10, 1, &train);
  auto env = base::NewMemEnv();
  TrainOptions options;
  options.epochs = 0;
  EXPECT_EQ(Train(*env, train, nullptr, 0, 0, options).error().message(),
            "epochs must be at least 1");
  options.epochs = 1;
  Dataset valid;
  Planted(10, 2, &valid);
  EXPECT_EQ(Train(*env, train, &valid, 0, 0, options).error().message(),
            "early stopping needs a snapshot path");
  options.anneal = 1.5f;
  EXPECT_EQ(Train(*env, train, nullptr, 0, 0, options).error().message(),
            "the annealing factors must be in [0, 1], the validation rows' rate factor in (0, 1]");
}

}  // namespace
}  // namespace promorec::trainer
