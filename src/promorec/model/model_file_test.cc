#include "promorec/model/model_file.h"

#include <gtest/gtest.h>

#include <cstring>

#include "promorec/base/crc32c.h"
#include "promorec/base/mem_env.h"

namespace promorec::model {
namespace {

ModelFile Sample(ModelType type) {
  FeatureDictionary dictionary({"userid", "offerid", "hour"});
  dictionary.Add(0, "andy");
  dictionary.Add(1, "0f2f");
  dictionary.Add(0, "bob_smith");
  dictionary.Add(2, "17");
  dictionary.SetHashedBuckets(0, 3);
  const FfmShape shape{type, dictionary.size(), 3, 4};
  auto params = FfmParams::Create(shape, 7, 0.5f);
  EXPECT_TRUE(params);
  params->bias() = -1.25f;
  for (std::size_t i = 0; i < params->linear().size(); ++i) {
    params->linear()[i] = 0.1f * static_cast<float>(i);
  }
  ModelFile model{std::move(*params), std::move(dictionary),
                  Loss::kLogistic,    true,
                  std::nullopt,       {{"eta", "0.2"}, {"lambda", "2e-05"}},
                  {{"rows", "1000"}}, {}};
  model.optimiser.emplace(1 + model.params.linear().size() + model.params.latent().size(), 1.0f);
  model.counts = {3, 0, 12, 1000000};
  for (std::uint32_t b = 0; b < 3; ++b) model.counts.push_back(b);
  return model;
}

void ExpectSame(const ModelFile& a, const ModelFile& b) {
  EXPECT_EQ(a.params.shape(), b.params.shape());
  EXPECT_EQ(a.params.bias(), b.params.bias());
  EXPECT_TRUE(
      std::equal(a.params.linear().begin(), a.params.linear().end(), b.params.linear().begin()));
  EXPECT_TRUE(
      std::equal(a.params.latent().begin(), a.params.latent().end(), b.params.latent().begin()));
  EXPECT_EQ(a.dictionary.ToHeadersCsv(), b.dictionary.ToHeadersCsv());
  EXPECT_EQ(a.dictionary.size(), b.dictionary.size());
  EXPECT_EQ(a.dictionary.Find(0, "zzz"), b.dictionary.Find(0, "zzz"));
  EXPECT_EQ(a.hyper, b.hyper);
  EXPECT_EQ(a.training, b.training);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.instance_normalisation, b.instance_normalisation);
  EXPECT_EQ(a.counts, b.counts);
}

TEST(ModelFileTest, RoundTripsFfmAndFmWithAndWithoutOptimiser) {
  for (const ModelType type : {ModelType::kFfm, ModelType::kFm}) {
    const ModelFile model = Sample(type);
    auto full = DecodeModel(EncodeModel(model, true));
    ASSERT_TRUE(full) << full.error().ToString();
    ExpectSame(model, *full);
    ASSERT_TRUE(full->optimiser);
    EXPECT_EQ(*full->optimiser, *model.optimiser);
    const std::string serving_bytes = EncodeModel(model, false);
    auto serving = DecodeModel(serving_bytes);
    ASSERT_TRUE(serving);
    ExpectSame(model, *serving);
    EXPECT_FALSE(serving->optimiser);
    EXPECT_LT(serving_bytes.size(), EncodeModel(model, true).size());
  }
}

TEST(ModelFileTest, CountsAreOptionalAndChecked) {
  ModelFile model = Sample(ModelType::kFfm);
  model.counts.clear();
  auto without = DecodeModel(EncodeModel(model, true));
  ASSERT_TRUE(without);
  EXPECT_TRUE(without->counts.empty());
  model.counts = {1, 2};  // the dictionary has 7 features
  std::string bytes = EncodeModel(model, true);
  auto bad = DecodeModel(bytes);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "model.bin counts section has 8 bytes, expected 28");
}

TEST(ModelFileTest, ServingExportIsAboutHalfTheSize) {
  FeatureDictionary dictionary({"userid", "offerid"});
  for (int i = 0; i < 5000; ++i)
    dictionary.Add(static_cast<std::uint32_t>(i % 2), std::to_string(i));
  auto params = FfmParams::Create({ModelType::kFfm, dictionary.size(), 2, 4}, 1, 0.1f);
  ASSERT_TRUE(params);
  ModelFile model{
      std::move(*params), std::move(dictionary), Loss::kLogistic, false, std::nullopt, {}, {}, {}};
  model.optimiser.emplace(1 + model.params.linear().size() + model.params.latent().size(), 1.0f);
  const double ratio = static_cast<double>(EncodeModel(model, false).size()) /
                       static_cast<double>(EncodeModel(model, true).size());
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 0.6);
}

TEST(ModelFileTest, EveryFlippedByteIsRejected) {
  const std::string bytes = EncodeModel(Sample(ModelType::kFfm), false);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    auto decoded = DecodeModel(damaged);
    ASSERT_FALSE(decoded) << "byte " << i;
    EXPECT_EQ(decoded.error().code(), base::Code::kCorruption);
  }
  EXPECT_FALSE(DecodeModel(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(DecodeModel(""));
}

TEST(ModelFileTest, ErrorsSayWhy) {
  std::string bytes = EncodeModel(Sample(ModelType::kFfm), false);
  std::string other = bytes;
  other[0] = 'X';
  EXPECT_EQ(DecodeModel(other).error().message(), "model.bin has a bad magic number");
  std::string newer = bytes;
  newer[8] = 2;
  EXPECT_EQ(DecodeModel(newer).error().message(),
            "model.bin format version 2; this build reads version 1");
  std::string bad_crc = bytes;
  bad_crc[40] = static_cast<char>(bad_crc[40] ^ 1);
  EXPECT_EQ(DecodeModel(bad_crc).error().message(),
            "model.bin checksum mismatch (damaged or incomplete file)");
}

TEST(ModelFileTest, MetaJsonIsAReadableCopyOfTheHeader) {
  ModelFile model = Sample(ModelType::kFfm);
  model.hyper = {{"eta", "0.3"}, {"note", "a \"quoted\" value"}};
  model.training = {{"rows", "12"}};
  const std::string meta = MetaJson(model, false);
  EXPECT_TRUE(meta.starts_with("{\"format_version\":1,\"model_type\":\"ffm\",\"loss\":")) << meta;
  EXPECT_NE(meta.find("\"k\":" + std::to_string(model.params.shape().k) + ","), std::string::npos);
  EXPECT_NE(meta.find("\"optimiser_state\":false"), std::string::npos) << "serving export";
  EXPECT_NE(meta.find("\"hyper\":{\"eta\":\"0.3\",\"note\":\"a \\\"quoted\\\" value\"}"),
            std::string::npos)
      << meta;
  EXPECT_NE(meta.find("\"training\":{\"rows\":\"12\"}}"), std::string::npos) << meta;
  EXPECT_NE(MetaJson(Sample(ModelType::kFm), true).find("\"model_type\":\"fm\""),
            std::string::npos);
}

TEST(ModelFileTest, WriteAndReadADirectory) {
  auto env = base::NewMemEnv();
  const ModelFile model = Sample(ModelType::kFfm);
  ASSERT_TRUE(WriteModel(*env, "/models/1", model, true));
  auto read = ReadModel(*env, "/models/1");
  ASSERT_TRUE(read) << read.error().ToString();
  ExpectSame(model, *read);
  EXPECT_EQ(*base::ReadFileToString(*env, "/models/1/headers.csv"),
            "userid_andy\nofferid_0f2f\nuserid_bob_smith\nhour_17\n");
  EXPECT_EQ(env->ListDir("/models/1").value(),
            (std::vector<std::string>{"headers.csv", "meta.json", "model.bin"}));
  EXPECT_EQ(*base::ReadFileToString(*env, "/models/1/meta.json"), MetaJson(model, true));
  EXPECT_EQ(ReadModel(*env, "/models/2").error().code(), base::Code::kNotFound);
}

}  // namespace
}  // namespace promorec::model
