#include "promorec/app/sagemaker_train.h"

#include <cstdio>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/base/env.h"
#include "promorec/sagemaker/training_job.h"

namespace promorec::app {

int RunSageMakerTraining(const std::string& root, TrainCommandOptions o) {
  base::Env& env = base::DefaultEnv();
  sagemaker::TrainingJob job;
  job.failure_path = root + "/output/failure";
  const auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "promorec train --sagemaker: %s\n", why.c_str());
    sagemaker::WriteFailure(env, job, why);
    return kExitFailure;
  };
  auto read = sagemaker::ReadTrainingJob(env, root);
  if (!read) return fail(read.error().message());
  job = std::move(*read);
  sagemaker::TrainingSettings settings{
      o.train,      o.valid_tail, o.serving_only,
      o.model_type, o.loss,       job.format.empty() ? o.load.format : job.format};
  if (auto applied = sagemaker::ApplyHyperparameters(job.hyperparameters, &settings); !applied) {
    return fail(applied.error().message());
  }
  o.train = settings.train;
  o.valid_tail = settings.valid_tail;
  o.serving_only = settings.serving_only;
  o.model_type = settings.model_type;
  o.loss = settings.loss;
  o.load.format = settings.format;
  o.train_files = job.train_files;
  if (!job.headers.empty() && o.load.format == "recordio") o.headers = job.headers;
  o.valid_file = job.valid_file;
  // Channels may be read-only: no caches beside them.
  o.load.cache = false;
  o.out = job.model_dir;
  std::string why;
  const int code = RunTrain(o, &why);
  if (code != kExitOk) return fail(why);
  return kExitOk;
}

}  // namespace promorec::app
