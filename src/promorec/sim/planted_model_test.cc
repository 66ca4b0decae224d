#include "promorec/sim/planted_model.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace promorec::sim {
namespace {

GeneratorConfig SmallConfig() {
  GeneratorConfig config;
  config.rows = 10000;
  config.users = 2000;
  config.offers = 500;
  config.seed = 11;
  return config;
}

TEST(PlantedModelTest, OfferMerchantCategoryStructureIsConsistent) {
  auto model = PlantedModel::Create(SmallConfig());
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(model->cardinality(kMerchantField), 50u);  // 500 offers / 10
  EXPECT_EQ(model->cardinality(kCategoryField), 3u);   // ceil(50 / 20)
  EXPECT_EQ(model->cardinality(kHourField), 24u);
  std::vector<int> offers_per_merchant(50);
  for (std::uint32_t offer = 0; offer < 500; ++offer) {
    const std::uint32_t merchant = model->MerchantOfOffer(offer);
    ASSERT_LT(merchant, 50u);
    ++offers_per_merchant[merchant];
  }
  for (const int count : offers_per_merchant) EXPECT_EQ(count, 10);
  std::vector<int> merchants_per_category(3);
  for (std::uint32_t merchant = 0; merchant < 50; ++merchant) {
    const std::uint32_t category = model->CategoryOfMerchant(merchant);
    ASSERT_LT(category, 3u);
    ++merchants_per_category[category];
  }
  for (const int count : merchants_per_category) EXPECT_GE(count, 16);
  for (std::uint32_t user = 0; user < 2000; ++user) {
    ASSERT_LT(model->CountryOfUser(user), model->cardinality(kCountryField));
  }
}

TEST(PlantedModelTest, SameSeedSameModelOtherSeedOtherModel) {
  auto a = PlantedModel::Create(SmallConfig());
  auto b = PlantedModel::Create(SmallConfig());
  GeneratorConfig other = SmallConfig();
  other.seed = 12;
  auto c = PlantedModel::Create(other);
  ASSERT_TRUE(a && b && c);
  const FieldValues values = {5, 7, a->CountryOfUser(5), 0, a->MerchantOfOffer(7), 13};
  EXPECT_EQ(a->Probability(values), b->Probability(values));
  EXPECT_EQ(a->bias(), b->bias());
  EXPECT_NE(a->Probability(values), c->Probability(values));
}

TEST(PlantedModelTest, IdsAreDistinctAndWellFormed) {
  auto model = PlantedModel::Create(SmallConfig());
  ASSERT_TRUE(model.has_value());
  std::set<std::string> ids;
  for (std::uint32_t user = 0; user < 2000; ++user) {
    std::string id;
    model->AppendId(kUserField, user, &id);
    ASSERT_EQ(id.size(), 16u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 2000u);
  std::string hour;
  model->AppendId(kHourField, 23, &hour);
  EXPECT_EQ(hour, "23");
  std::string country;
  model->AppendId(kCountryField, 0, &country);
  EXPECT_EQ(country, "de");
}

TEST(PlantedModelTest, ValidationNamesTheProblem) {
  GeneratorConfig config = SmallConfig();
  config.rows = 0;
  auto status = ValidateConfig(config);
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(status.error().message().find("rows"), std::string::npos);
  config = SmallConfig();
  config.test_fraction = 1.0;
  EXPECT_FALSE(ValidateConfig(config).has_value());
  config.test_fraction = 0.0;
  EXPECT_FALSE(ValidateConfig(config).has_value());
  config = SmallConfig();
  config.users = 0;
  EXPECT_FALSE(PlantedModel::Create(config).has_value());
  config = SmallConfig();
  config.offers = 0;
  EXPECT_FALSE(PlantedModel::Create(config).has_value());
}

}  // namespace
}  // namespace promorec::sim
