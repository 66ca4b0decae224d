// `promorec train --sagemaker`: SageMaker's training-container contract
// (the job's layout and hyperparameters: sagemaker/training_job.h), run
// through the same training as `promorec train`. ROOT is /opt/ml in a
// container.
// Thread-safety: main's thread only.
#pragma once

#include <string>

#include "promorec/app/train_command.h"

namespace promorec::app {

// Runs training with `defaults` overridden by the hyperparameters; the exit
// code (non-zero after writing ROOT/output/failure).
int RunSageMakerTraining(const std::string& root, TrainCommandOptions defaults);

}  // namespace promorec::app
