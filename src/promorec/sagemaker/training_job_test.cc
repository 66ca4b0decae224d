#include "promorec/sagemaker/training_job.h"

#include <gtest/gtest.h>

#include "promorec/base/mem_env.h"

namespace promorec::sagemaker {
namespace {

void Write(base::Env& env, const std::string& path, const std::string& text) {
  ASSERT_TRUE(env.CreateDirs(path.substr(0, path.rfind('/'))));
  ASSERT_TRUE(base::WriteFileAtomically(env, path, text));
}

TEST(TrainingJobTest, ReadsTheLayout) {
  const auto env = base::NewMemEnv();
  Write(*env, "/ml/input/config/hyperparameters.json",
        R"({"eta":"0.1","epochs":3,"normalise":false})");
  Write(*env, "/ml/input/config/inputdataconfig.json",
        R"({"train":{"ContentType":"application/x-recordio-protobuf"}})");
  Write(*env, "/ml/input/data/train/b.rec", "b");
  Write(*env, "/ml/input/data/train/a.rec", "a");
  Write(*env, "/ml/input/data/train/headers.csv", "userid_u1\n");
  Write(*env, "/ml/input/data/validation/v.rec", "v");
  auto job = ReadTrainingJob(*env, "/ml");
  ASSERT_TRUE(job) << job.error().ToString();
  EXPECT_EQ(job->format, "recordio");
  EXPECT_EQ(job->train_files,
            (std::vector<std::string>{"/ml/input/data/train/a.rec", "/ml/input/data/train/b.rec"}));
  EXPECT_EQ(job->headers, "/ml/input/data/train/headers.csv");
  EXPECT_EQ(job->valid_file, "/ml/input/data/validation/v.rec");
  EXPECT_EQ(job->model_dir, "/ml/model");
  EXPECT_EQ(job->hyperparameters.at("epochs"), "3");
  EXPECT_EQ(job->hyperparameters.at("normalise"), "false");

  WriteFailure(*env, *job, "why");
  EXPECT_EQ(*base::ReadFileToString(*env, "/ml/output/failure"), "why\n");
}

TEST(TrainingJobTest, LayoutErrorsSayWhere) {
  const auto env = base::NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/ml/input/data/train"));
  EXPECT_EQ(ReadTrainingJob(*env, "/ml").error().message(), "channel train has no files");
  Write(*env, "/ml/input/data/train/a.csv", "x");
  Write(*env, "/ml/input/config/inputdataconfig.json", R"({"train":{"ContentType":"image/png"}})");
  EXPECT_EQ(ReadTrainingJob(*env, "/ml").error().message(),
            "content type 'image/png' of channel train");
  Write(*env, "/ml/input/config/inputdataconfig.json", "{}");
  Write(*env, "/ml/input/config/hyperparameters.json", R"({"eta":[1]})");
  EXPECT_NE(ReadTrainingJob(*env, "/ml").error().message().find("'eta' must be a string"),
            std::string::npos);
}

TEST(TrainingJobTest, HyperparametersMapOntoTheSettings) {
  TrainingSettings s;
  ASSERT_TRUE(ApplyHyperparameters({{"num_factors", "8"},
                                    {"factors_lr", "0.25"},
                                    {"predictor_type", "regressor"},
                                    {"model_type", "fm"},
                                    {"valid_tail", "0.1"},
                                    {"serving_only", "true"},
                                    {"format", "libffm"},
                                    {"sagemaker_region", "x"},
                                    {"mini_batch_size", "1000"}},
                                   &s));
  EXPECT_EQ(s.train.k, 8u);
  EXPECT_EQ(s.train.eta, 0.25f);
  EXPECT_EQ(s.loss, "squared");
  EXPECT_EQ(s.model_type, "fm");
  EXPECT_EQ(s.valid_tail, 0.1);
  EXPECT_TRUE(s.serving_only);
  EXPECT_EQ(s.format, "libffm");
  EXPECT_EQ(ApplyHyperparameters({{"etta", "1"}}, &s).error().message(),
            "unknown hyperparameter 'etta'");
  EXPECT_EQ(ApplyHyperparameters({{"predictor_type", "multiclass"}}, &s).error().message(),
            "predictor_type 'multiclass' must be binary_classifier or regressor");
  EXPECT_EQ(ApplyHyperparameters({{"eta", "x"}}, &s).error().message(),
            "hyperparameter eta='x' is not a number");
}

}  // namespace
}  // namespace promorec::sagemaker
