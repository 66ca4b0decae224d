// `promorec train --sagemaker`: SageMaker's training-container contract.
//   ROOT/input/config/hyperparameters.json   string values (SageMaker's way)
//   ROOT/input/config/inputdataconfig.json   per channel ContentType (optional)
//   ROOT/input/data/train/...                the training files
//   ROOT/input/data/validation/...           optional: early stopping
//   ROOT/model/                              the model directory written
//   ROOT/output/failure                      why, when training fails
// ROOT is /opt/ml in a container.
// Thread-safety: main's thread only.
#pragma once

#include <string>

#include "promorec/app/train_command.h"

namespace promorec::app {

// Runs training with `defaults` overridden by the hyperparameters; the exit
// code (non-zero after writing ROOT/output/failure).
int RunSageMakerTraining(const std::string& root, TrainCommandOptions defaults);

}  // namespace promorec::app
