#include "promorec/sim/generator.h"

#include <gtest/gtest.h>

#include <vector>

#include "promorec/base/binary_metrics.h"

namespace promorec::sim {
namespace {

GeneratorConfig Config(std::uint64_t seed) {
  GeneratorConfig config;
  config.rows = 100000;
  config.users = 10000;
  config.offers = 1000;
  config.seed = seed;
  return config;
}

TEST(RowGeneratorTest, ClickRateLandsNearTheTarget) {
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const GeneratorConfig config = Config(seed);
    auto model = PlantedModel::Create(config);
    ASSERT_TRUE(model.has_value());
    RowGenerator generator(*model, config);
    Row row;
    std::uint64_t clicks = 0;
    for (std::uint64_t i = 0; i < config.rows; ++i) {
      generator.Next(&row);
      clicks += row.label;
    }
    const double rate = static_cast<double>(clicks) / static_cast<double>(config.rows);
    EXPECT_GT(rate, 0.05) << seed;
    EXPECT_LT(rate, 0.20) << seed;
    EXPECT_NEAR(rate, config.target_click_rate, 0.02) << seed;
  }
}

TEST(RowGeneratorTest, RowsAreTimeOrderedAndConsistent) {
  const GeneratorConfig config = Config(5);
  auto model = PlantedModel::Create(config);
  ASSERT_TRUE(model.has_value());
  RowGenerator generator(*model, config);
  Row row;
  std::int64_t previous = config.start_timestamp_us;
  std::vector<int> user_rows(config.users);
  for (std::uint64_t i = 0; i < config.rows; ++i) {
    generator.Next(&row);
    const FieldValues& v = row.values;
    ASSERT_GE(row.timestamp_us, previous);
    ASSERT_EQ(row.timestamp_us % 1000000, 0);
    previous = row.timestamp_us;
    ASSERT_EQ(v[kMerchantField], model->MerchantOfOffer(v[kOfferField]));
    ASSERT_EQ(v[kCategoryField], model->CategoryOfMerchant(v[kMerchantField]));
    ASSERT_EQ(v[kCountryField], model->CountryOfUser(v[kUserField]));
    ASSERT_EQ(v[kHourField], (row.timestamp_us / 1000000) % 86400 / 3600);
    ASSERT_EQ(row.probability, model->Probability(v));
    ++user_rows[v[kUserField]];
  }
  // About four weeks of data.
  EXPECT_GT(previous - config.start_timestamp_us, 25LL * 86400 * 1000000);
  EXPECT_LT(previous - config.start_timestamp_us, 31LL * 86400 * 1000000);
  // Popular users dominate, and there is a long tail of rare ones.
  int rare = 0;
  for (const int count : user_rows) rare += count > 0 && count < 10 ? 1 : 0;
  EXPECT_GT(user_rows[0], user_rows[99] * 20);
  EXPECT_GT(rare, 1000);
}

TEST(RowGeneratorTest, OracleBeatsChance) {
  const GeneratorConfig config = Config(9);
  auto model = PlantedModel::Create(config);
  ASSERT_TRUE(model.has_value());
  RowGenerator generator(*model, config);
  Row row;
  std::vector<double> probs;
  std::vector<std::uint8_t> labels;
  std::uint64_t clicks = 0;
  for (std::uint64_t i = 0; i < config.rows; ++i) {
    generator.Next(&row);
    probs.push_back(row.probability);
    labels.push_back(row.label);
    clicks += row.label;
  }
  const double rate = static_cast<double>(clicks) / static_cast<double>(config.rows);
  const std::vector<double> constant(probs.size(), rate);
  EXPECT_GT(*base::Auc(probs, labels), 0.65);
  // The truth must beat the best constant prediction.
  EXPECT_LT(*base::LogLoss(probs, labels), *base::LogLoss(constant, labels) - 0.01);
}

TEST(RowGeneratorTest, SameSeedSameRows) {
  const GeneratorConfig config = Config(4);
  auto model = PlantedModel::Create(config);
  ASSERT_TRUE(model.has_value());
  RowGenerator a(*model, config);
  RowGenerator b(*model, config);
  Row ra;
  Row rb;
  for (int i = 0; i < 10000; ++i) {
    a.Next(&ra);
    b.Next(&rb);
    ASSERT_EQ(ra.values, rb.values);
    ASSERT_EQ(ra.timestamp_us, rb.timestamp_us);
    ASSERT_EQ(ra.label, rb.label);
  }
}

}  // namespace
}  // namespace promorec::sim
