#include "promorec/trainer/sgd_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "promorec/base/mem_env.h"
#include "promorec/model/ffm_params.h"

namespace promorec::trainer {
namespace {

// 3 fields; feature 0 (field 0) is in every row, features 1..40 (field 1)
// and 41..80 (field 2) are each in few rows.
constexpr std::uint32_t kFeatures = 81;

struct Rows {
  std::vector<std::uint32_t> index;
  std::vector<std::uint16_t> field;
  std::vector<float> label;
  RowRef Row(std::size_t r) const {
    return {index.data() + 3 * r, field.data() + 3 * r, nullptr, 3};
  }
};

Rows MakeRows(std::size_t n) {
  Rows rows;
  for (std::size_t r = 0; r < n; ++r) {
    rows.index.insert(rows.index.end(), {0u, 1u + static_cast<std::uint32_t>(r % 40),
                                         41u + static_cast<std::uint32_t>((r * 7) % 40)});
    rows.field.insert(rows.field.end(), {0, 1, 2});
    rows.label.push_back(r % 3 == 0 ? 1.0f : 0.0f);
  }
  return rows;
}

SgdState MakeState(const Rows& rows) {
  const model::FfmShape shape{model::ModelType::kFfm, kFeatures, 3, 4};
  auto params = model::FfmParams::Create(shape, 7, 0.5f);
  EXPECT_TRUE(params);
  auto state = SgdState::From(*params, {});
  EXPECT_TRUE(state);
  std::vector<std::uint32_t> counts(kFeatures, 0);
  for (const std::uint32_t f : rows.index) ++counts[f];
  state->SetCounts(counts);
  return std::move(*state);
}

TEST(SgdStateTest, OnlyFeaturesInManyRowsGetReplicas) {
  const Rows rows = MakeRows(2000);
  SgdState state = MakeState(rows);
  state.EnableReplicas(2, 2000 * 30);  // 1 in 1000 rows = 60: only feature 0 (2000)
  EXPECT_EQ(state.hot_features(), 1u);
  state.EnableReplicas(2, 2000);  // 1 in 1000 rows = 2: all 81
  EXPECT_EQ(state.hot_features(), kFeatures);
  state.EnableReplicas(1, 2000);  // one thread needs none
  EXPECT_EQ(state.hot_features(), 0u);
}

// One thread training on its replica and syncing ends where training on
// the shared state directly does (up to rounding in the merge).
TEST(SgdStateTest, AReplicaSyncedMatchesDirectTraining) {
  const Rows rows = MakeRows(600);
  SgdState direct = MakeState(rows);
  SgdState replicated = MakeState(rows);
  replicated.EnableReplicas(2, 600);
  ASSERT_GT(replicated.hot_features(), 0u);
  const SgdOptions options;
  for (std::size_t r = 0; r < 600; ++r) {
    const double a = direct.Update(rows.Row(r), rows.label[r], options);
    const double b = replicated.Update(rows.Row(r), rows.label[r], options, 0);
    ASSERT_NEAR(a, b, 1e-4) << r;
    if (r % 64 == 63) replicated.Sync(0);
  }
  replicated.Sync(0);
  EXPECT_NEAR(replicated.bias(), direct.bias(), 1e-4);
  EXPECT_NEAR(replicated.bias_sum(), direct.bias_sum(), 1e-3);
  for (std::size_t r = 0; r < 40; ++r) {
    EXPECT_NEAR(replicated.Logit(rows.Row(r), true), direct.Logit(rows.Row(r), true), 1e-4);
  }
}

// Two threads' changes to a hot feature both reach the shared state: the
// AdaGrad sums add up, as they would had both written it directly.
TEST(SgdStateTest, BothThreadsChangesAddUpInTheSharedState) {
  const Rows rows = MakeRows(400);
  SgdState state = MakeState(rows);
  state.EnableReplicas(2, 400);
  const SgdOptions options;
  const float start_sum = state.bias_sum();
  for (std::size_t r = 0; r < 400; ++r) state.Update(rows.Row(r), rows.label[r], options, r % 2);
  // Without syncing, the shared bias has not moved.
  EXPECT_EQ(state.bias_sum(), start_sum);
  state.Sync(0);
  const float after_one = state.bias_sum();
  EXPECT_GT(after_one, start_sum);
  state.Sync(1);
  EXPECT_GT(state.bias_sum(), after_one);
  // Each update adds kappa^2 <= 1 to the sum: 400 updates in all.
  const auto squared_kappa = static_cast<double>(state.bias_sum() - start_sum);
  EXPECT_GT(squared_kappa, 400 * 0.01);
  EXPECT_LE(squared_kappa, 400.0 + 1e-3);
  // Once each has synced after the other's last change, both replicas hold
  // the shared values: a step that learns nothing (eta 0) sees the same
  // loss from either.
  state.Sync(0);
  const SgdOptions frozen{0, 0, 0, 0, 0, true};
  EXPECT_EQ(state.Update(rows.Row(5), rows.label[5], frozen, 0),
            state.Update(rows.Row(5), rows.label[5], frozen, 1));
}

// AverageWith leaves every parameter and AdaGrad sum at the mean of the
// state and the saved one (or `weight` of the way towards the saved one).
TEST(SgdStateTest, AveragingMeetsTheSavedStateHalfWay) {
  const Rows rows = MakeRows(300);
  SgdState state = MakeState(rows);
  const SgdOptions options;
  for (std::size_t r = 0; r < 300; ++r) state.Update(rows.Row(r), rows.label[r], options);
  auto env = base::NewMemEnv();
  ASSERT_TRUE(state.Save(*env, "/earlier"));
  const std::vector<float> sums_then = state.ExportOptimiser();
  const model::FfmShape shape = state.shape();
  auto then = model::FfmParams::Create(shape, 1, 0);
  ASSERT_TRUE(then);
  state.ExportParams(&*then);
  for (std::size_t r = 0; r < 300; ++r) state.Update(rows.Row(r), rows.label[r], options);
  auto now = model::FfmParams::Create(shape, 1, 0);
  ASSERT_TRUE(now);
  state.ExportParams(&*now);
  const std::vector<float> sums_now = state.ExportOptimiser();
  ASSERT_NE(then->latent()[5], now->latent()[5]) << "the second pass must have moved things";

  ASSERT_TRUE(state.AverageWith(*env, "/earlier"));
  auto mean = model::FfmParams::Create(shape, 1, 0);
  ASSERT_TRUE(mean);
  state.ExportParams(&*mean);
  EXPECT_FLOAT_EQ(mean->bias(), 0.5f * (then->bias() + now->bias()));
  for (std::size_t i = 0; i < mean->linear().size(); ++i) {
    EXPECT_FLOAT_EQ(mean->linear()[i], 0.5f * (then->linear()[i] + now->linear()[i])) << i;
  }
  for (std::size_t i = 0; i < mean->latent().size(); ++i) {
    ASSERT_NEAR(mean->latent()[i], 0.5f * (then->latent()[i] + now->latent()[i]), 1e-6f) << i;
  }
  const std::vector<float> sums = state.ExportOptimiser();
  for (std::size_t i = 0; i < sums.size(); ++i) {
    ASSERT_NEAR(sums[i], 0.5f * (sums_then[i] + sums_now[i]), 1e-4f * sums[i]) << i;
  }

  // A weight of 1 lands on the saved state itself.
  ASSERT_TRUE(state.AverageWith(*env, "/earlier", 1.0f));
  state.ExportParams(&*mean);
  EXPECT_TRUE(std::ranges::equal(mean->latent(), then->latent()));
  EXPECT_FALSE(state.AverageWith(*env, "/missing"));
}

}  // namespace
}  // namespace promorec::trainer
