#include "promorec/trainer/hyper_params.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace promorec::trainer {
namespace {

TEST(HyperParamsTest, NamesFlagsAndAliasesAreUnique) {
  std::set<std::string_view> names, flags;
  for (const HyperParam& p : HyperParams()) {
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    if (!p.alias.empty()) {
      EXPECT_TRUE(names.insert(p.alias).second) << p.alias;
    }
    EXPECT_TRUE(flags.insert(p.flag).second) << p.flag;
    EXPECT_FALSE(p.help.empty()) << p.name;
    EXPECT_EQ(FindHyperParam(p.name), &p);
  }
  EXPECT_GE(HyperParams().size(), 20u);
}

TEST(HyperParamsTest, SetsTheFieldByNameOrAlias) {
  TrainOptions o;
  ASSERT_TRUE(SetHyperParam(*FindHyperParam("factors_lr"), "0.125", &o));
  EXPECT_EQ(o.eta, 0.125f);
  ASSERT_TRUE(SetHyperParam(*FindHyperParam("num_factors"), "8", &o));
  EXPECT_EQ(o.k, 8u);
  ASSERT_TRUE(SetHyperParam(*FindHyperParam("prior"), "5", &o));
  EXPECT_EQ(o.prior_latent, 5.0f);
  ASSERT_TRUE(SetHyperParam(*FindHyperParam("seed"), "18446744073709551615", &o));
  EXPECT_EQ(o.seed, 18446744073709551615ull);
  ASSERT_TRUE(SetHyperParam(*FindHyperParam("normalise"), "False", &o));
  EXPECT_FALSE(o.normalise);
  ASSERT_TRUE(SetHyperParam(*FindHyperParam("deterministic"), "1", &o));
  EXPECT_TRUE(o.deterministic);
  EXPECT_EQ(FindHyperParam("nope"), nullptr);
}

TEST(HyperParamsTest, BadValuesSayWhich) {
  TrainOptions o;
  auto bad = SetHyperParam(*FindHyperParam("eta"), "fast", &o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "hyperparameter eta='fast' is not a number");
  bad = SetHyperParam(*FindHyperParam("average"), "yes", &o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "hyperparameter average='yes' is not true or false");
  EXPECT_FALSE(SetHyperParam(*FindHyperParam("epochs"), "1.5", &o));
  EXPECT_FALSE(SetHyperParam(*FindHyperParam("k"), "-1", &o));
  EXPECT_EQ(o.eta, TrainOptions{}.eta) << "a refused value changes nothing";
}

TEST(HyperParamsTest, TheModelRecordsWhatTrainingUsed) {
  TrainOptions o;
  o.eta = 0.25f;
  o.prior_latent = 4;
  const auto recorded = RecordedHyperParams(o);
  EXPECT_EQ(recorded.at("eta"), "0.250000");
  EXPECT_EQ(recorded.at("prior"), "4.000000");
  EXPECT_EQ(recorded.at("k"), "4");
  for (const char* key : {"adagrad_init", "lambda", "lambda_linear", "prior_linear", "anneal",
                          "anneal_when", "valid_rate", "seed"}) {
    EXPECT_TRUE(recorded.contains(key)) << key;
  }
  EXPECT_FALSE(recorded.contains("threads")) << "how fast, not what was learned";
}

}  // namespace
}  // namespace promorec::trainer
