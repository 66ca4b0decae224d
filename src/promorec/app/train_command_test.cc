#include "promorec/app/train_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "promorec/base/env.h"
#include "promorec/model/model_file.h"

namespace promorec::app {
namespace {

class TrainCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("promorec-train-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Event files record when their events happened: the model file keeps the
// span of the events it was trained and validated on, with its losses.
TEST_F(TrainCommandTest, TheModelKeepsTheSpanOfItsEvents) {
  const auto write = [&](const std::string& name, double first_seconds, int rows) {
    std::ofstream out(dir_ / name);
    for (int i = 0; i < rows; ++i) {
      out << "u" << i % 7 << ",o" << i % 3 << ",de,100,m" << i % 2 << ","
          << std::to_string(first_seconds + 60.0 * i) << "," << (i % 5 == 0 ? 1 : 0) << "\n";
    }
  };
  // 2016-06-01T00:00:00Z onwards, then an hour after the last of those.
  write("train.csv", 1464739200.0, 100);
  write("valid.csv", 1464739200.0 + 6000.0 + 3600.0, 20);
  TrainCommandOptions o;
  o.train_files = {(dir_ / "train.csv").string()};
  o.valid_file = (dir_ / "valid.csv").string();
  o.load.format = "click";
  o.out = (dir_ / "model").string();
  o.train.epochs = 2;
  o.train.deterministic = true;
  o.train.learn_valid = true;
  std::string why;
  ASSERT_EQ(RunTrain(o, &why), 0) << why;
  auto model = model::ReadModel(base::DefaultEnv(), o.out);
  ASSERT_TRUE(model) << model.error().ToString();
  EXPECT_EQ(model->loss, model::Loss::kLogistic);
  EXPECT_EQ(model->training.at("rows"), "100");
  EXPECT_EQ(model->training.at("valid_rows"), "20");
  EXPECT_EQ(model->training.at("first_event"), "2016-06-01T00:00:00Z");
  // The last validation event: 9600 s + 19 minutes after the first.
  EXPECT_EQ(model->training.at("last_event"), "2016-06-01T02:59:00Z");
  EXPECT_TRUE(model->training.contains("train_logloss"));
  EXPECT_TRUE(model->training.contains("valid_logloss"));
}

}  // namespace
}  // namespace promorec::app
