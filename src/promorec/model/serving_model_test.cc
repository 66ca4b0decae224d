#include "promorec/model/serving_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "promorec/base/crc32c.h"
#include "promorec/base/mem_env.h"
#include "promorec/model/predict.h"

namespace promorec::model {
namespace {

ModelFile Sample(Loss loss = Loss::kLogistic) {
  FeatureDictionary dictionary({"userid", "offerid"});
  dictionary.Add(0, "ann");
  dictionary.Add(1, "o1");
  dictionary.SetHashedBuckets(0, 2);
  auto params = FfmParams::Create({ModelType::kFfm, dictionary.size(), 2, 4}, 7, 0.5f);
  EXPECT_TRUE(params);
  params->bias() = 0.75f;
  ModelFile model{std::move(*params), std::move(dictionary), loss, true, std::nullopt,
                  {{"eta", "0.5"}},   {{"rows", "10"}},      {}};
  model.optimiser.emplace(1 + model.params.linear().size() + model.params.latent().size(), 2.0f);
  model.counts.assign(model.params.shape().num_features, 3);
  return model;
}

TEST(ServingModelTest, LoadsWhatIsServedAndReportsTheStoredChecksum) {
  const auto env = base::NewMemEnv();
  const ModelFile model = Sample();
  ASSERT_TRUE(WriteModel(*env, "/m", model, /*with_optimiser=*/true));
  auto loaded = ServingModel::Load(*env, "/m");
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  const ServingModel& served = **loaded;
  EXPECT_EQ(served.params().shape(), model.params.shape());
  EXPECT_EQ(served.params().bias(), 0.75f);
  EXPECT_EQ(served.dictionary().ToHeadersCsv(), model.dictionary.ToHeadersCsv());
  EXPECT_TRUE(served.instance_normalisation());
  EXPECT_EQ(served.hyper().at("eta"), "0.5");
  EXPECT_EQ(served.training().at("rows"), "10");
  EXPECT_EQ(served.ParameterBytes(),
            (1 + model.params.linear().size() + model.params.latent().size()) * sizeof(float));
  // The version is the checksum model.bin stores in its last four bytes.
  const std::string bytes = EncodeModel(model, true);
  std::uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", base::Crc32cUnmask(stored));
  EXPECT_EQ(served.version(), hex);
  // A changed model is another version.
  ModelFile other = Sample();
  other.params.bias() = 0.5f;
  ASSERT_TRUE(WriteModel(*env, "/m2", other, true));
  EXPECT_NE((*ServingModel::Load(*env, "/m2"))->version(), served.version());
}

TEST(ServingModelTest, TheTrainingStateIsLeftOut) {
  const ModelFile model = Sample();
  auto decoded = DecodeModel(EncodeModel(model, true), /*with_training_state=*/false);
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_FALSE(decoded->optimiser);
  EXPECT_TRUE(decoded->counts.empty());
  auto full = DecodeModel(EncodeModel(model, true));
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->optimiser);
  EXPECT_EQ(full->counts.size(), model.counts.size());
}

TEST(ServingModelTest, ServesProbabilitiesOrPredictedValuesByLoss) {
  const std::vector<Feature> row = {{0, 0, 1.0f}, {1, 1, 1.0f}};
  std::vector<Feature> scratch;
  const auto logistic = ServingModel::FromModelFile(Sample(Loss::kLogistic));
  const float logit = PredictLogit(logistic->params(), row, true, &scratch);
  EXPECT_FLOAT_EQ(logistic->Predict(row, &scratch), Sigmoid(logit));
  EXPECT_FLOAT_EQ(logistic->Serve(2.0f), Sigmoid(2.0f));
  const auto squared = ServingModel::FromModelFile(Sample(Loss::kSquared));
  EXPECT_FLOAT_EQ(squared->Predict(row, &scratch), logit);
  EXPECT_FLOAT_EQ(squared->Serve(2.0f), 2.0f);
  EXPECT_EQ(ServedScore(Loss::kSquared, -3.0f), -3.0f);
  EXPECT_EQ(ServedScore(Loss::kLogistic, 0.0f), 0.5f);
}

TEST(ServingModelTest, ErrorsNameTheFile) {
  const auto env = base::NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/bad"));
  ASSERT_TRUE(base::WriteFileAtomically(*env, "/bad/model.bin", "PROMOFFM-not-really-a-model"));
  auto loaded = ServingModel::Load(*env, "/bad");
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().ToString().find("/bad/model.bin"), std::string::npos)
      << loaded.error().ToString();
  EXPECT_FALSE(ServingModel::Load(*env, "/missing"));
}

TEST(ServingModelHandleTest, ReadersSeeOneModelOrTheNextNeverAMix) {
  ServingModelHandle handle;
  EXPECT_EQ(handle.Get(), nullptr);
  const auto first = ServingModel::FromModelFile(Sample(Loss::kLogistic));
  const auto second = ServingModel::FromModelFile(Sample(Loss::kSquared));
  handle.Set(first);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop) {
      const auto m = handle.Get();
      if (m != first && m != second) ++bad;
    }
  });
  for (int i = 0; i < 1000; ++i) handle.Set(i % 2 == 0 ? second : first);
  stop = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace promorec::model
