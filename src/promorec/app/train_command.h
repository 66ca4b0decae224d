// `promorec train` as a function, so that other entry points (the
// SageMaker training contract) run exactly the same training.
// Thread-safety: main's thread only.
#pragma once

#include <string>
#include <vector>

#include "promorec/app/model_data.h"
#include "promorec/trainer/ffm_trainer.h"

namespace promorec::app {

struct TrainCommandOptions {
  std::vector<std::string> train_files;
  std::string valid_file;
  // Without valid_file: this fraction of the training rows, the last ones
  // (the most recent, for time-ordered files), validates instead.
  double valid_tail = 0;
  std::string model_type = "ffm";
  std::string loss = "logistic";  // or "squared"
  std::string warm_start;
  std::string headers;
  std::string out;
  std::string data_dir;
  LoadOptions load;
  trainer::TrainOptions train;
  bool serving_only = false;
  bool json = false;
};

// Trains and writes the model directory; the exit code. Progress and
// errors go to stderr; when it fails, `*failure` (if given) says why.
int RunTrain(const TrainCommandOptions& options, std::string* failure = nullptr);

}  // namespace promorec::app
