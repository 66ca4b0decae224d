// SageMaker's training-container contract, apart from the training itself:
// the layout of a training job under ROOT (/opt/ml in a container),
//   ROOT/input/config/hyperparameters.json   string values (SageMaker's way)
//   ROOT/input/config/inputdataconfig.json   per channel ContentType (optional)
//   ROOT/input/data/train/...                the training files
//   ROOT/input/data/validation/...           optional: early stopping
//   ROOT/model/                              the model directory to write
//   ROOT/output/failure                      why, when training fails
// and the mapping of its hyperparameters (SageMaker's factorization-machine
// names included) onto promorec's training settings.
// Thread-safety: functions; a job is a value.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/trainer/ffm_trainer.h"

namespace promorec::sagemaker {

struct TrainingJob {
  std::map<std::string, std::string> hyperparameters;
  // promorec's input format for the train channel's content type; "" when
  // the job names none.
  std::string format;
  std::vector<std::string> train_files;  // sorted
  std::string headers;                   // the train channel's headers.csv, or ""
  std::string valid_file;                // the validation channel's one file, or ""
  std::string model_dir;
  std::string failure_path;
};

// Reads the job under `root`. Errors say which file or channel is wrong.
[[nodiscard]] base::Result<TrainingJob> ReadTrainingJob(base::Env& env, const std::string& root);

// What the hyperparameters set, besides the trainer's options.
struct TrainingSettings {
  trainer::TrainOptions train;
  double valid_tail = 0;
  bool serving_only = false;
  std::string model_type = "ffm";
  std::string loss = "logistic";
  std::string format;
};

// Applies every hyperparameter to `settings`. Unknown names are errors, so
// that a typo does not train silently with a default; SageMaker's own keys
// and factorization-machine settings with no counterpart are ignored.
[[nodiscard]] base::Status ApplyHyperparameters(const std::map<std::string, std::string>& hyper,
                                                TrainingSettings* settings);

// Writes ROOT/output/failure (what SageMaker shows as the job's reason).
void WriteFailure(base::Env& env, const TrainingJob& job, const std::string& why);

}  // namespace promorec::sagemaker
