// Trains FFM (or FM) parameters by stochastic gradient descent with AdaGrad
// and L2 regularisation on logistic loss (clicks) or squared loss
// (regression): one pass over the rows per epoch
// in a shuffled order, every pair of a row's features updated through its
// field-aware latent vectors (sgd_state.h). Several threads update the
// shared parameters without locks (Hogwild); `deterministic` uses one
// thread and a fixed shuffle so two runs give bit-identical models.
// Early stopping watches the validation loss after each epoch and keeps
// the best epoch's parameters in a snapshot file, not a second copy in
// memory; when it stops, the mean of the best epoch and the next one is
// kept instead if the validation rows prefer it. Then one more pass at a
// smaller learning rate (`anneal`) settles the parameters, kept when the
// validation rows prefer it too. With `learn_valid` the validation rows
// (usually the most recent ones) are then learned too, in one more pass.
// Thread-safety: Train is reentrant; it starts and joins its own threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/ffm_params.h"
#include "promorec/model/model_file.h"
#include "promorec/trainer/dataset.h"

namespace promorec::trainer {

struct TrainOptions {
  model::ModelType type = model::ModelType::kFfm;
  // Logistic: labels 0/1, the model's output a probability. Squared: any
  // labels, the output the raw score.
  model::Loss loss = model::Loss::kLogistic;
  std::uint32_t k = 4;
  float eta = 0.5f;  // AdaGrad learning rate
  // The AdaGrad sum a fresh parameter starts from: its first step is about
  // eta / sqrt(adagrad_init) long. Below 1 an id's first few examples move
  // it quickly; the frequency-aware prior, not a slow start, keeps rare ids
  // near zero, and the pass at a smaller rate (`anneal`) settles them.
  float adagrad_init = 0.25f;
  float lambda = 2e-5f;     // L2 on latent vectors
  float lambda_linear = 0;  // L2 on linear terms
  // Frequency-aware L2 (see SgdOptions): lambda + prior / occurrences.
  float prior_latent = 3;
  float prior_linear = 2;
  // Initial latent values uniform in [-init_scale/2, init_scale/2): zero
  // mean, so that an id seen rarely or never adds noise around zero rather
  // than a bias.
  float init_scale = 0.2f;
  bool learn_valid = false;
  // The validation rows are learned at the learning rate times this: they
  // are new to the model, but it is already near an optimum that the full
  // rate would overshoot.
  float valid_rate = 0.5f;
  int epochs = 10;
  int threads = 1;
  bool deterministic = false;
  bool normalise = true;  // instance-wise: pair terms scaled by 1 / sum x^2
  std::uint64_t seed = 1;
  // Early stopping: stop after this many epochs without a better
  // validation loss (0 = never stop early), and return the best epoch.
  int patience = 1;
  // After early stopping, try the mean of the best epoch's parameters and
  // the next epoch's, and keep it when its validation loss is lower.
  bool average = true;
  // After early stopping (and averaging), one pass over the training rows
  // with the learning rate times this factor: steps that circled the
  // optimum at the full rate settle nearer to it. Kept when the validation
  // loss falls. 0 = no such pass.
  float anneal = 0.3f;
  // Up to this many such passes, each at the rate of the one before times
  // `anneal`, while the validation loss falls.
  int anneal_passes = 1;
  // The full-rate epochs also end, and that pass follows, once an epoch
  // gains less than this fraction of the gain of the better epoch before
  // it (gains shrinking fast: the full rate is circling the optimum).
  // 0 = only when the validation loss stops falling.
  float anneal_when = 0.5f;
  // Where the best parameters are kept while training goes on (needed with
  // early stopping and a validation set).
  std::string snapshot_path;
};

// Losses are the options' loss per row: logloss, or the squared error.
struct EpochReport {
  int epoch = 0;  // 1-based
  double train_loss = 0;
  std::optional<double> valid_loss;
  double examples_per_second = 0;
  bool annealed = false;  // the pass at the smaller learning rate (`anneal`)
};

struct TrainResult {
  model::FfmParams params;
  // AdaGrad state, same layout as the parameters (bias, linear, latent).
  std::vector<float> optimiser;
  int best_epoch = 0;
  // Set when the returned parameters are the mean of the best epoch and the
  // one after it: their validation loss, below the best epoch's.
  std::optional<double> averaged_valid_loss;
  // Set when the pass at the smaller learning rate was kept: its
  // validation loss, below the one before it.
  std::optional<double> annealed_valid_loss;
  std::vector<EpochReport> epochs;
  // How often each feature occurred in the rows learned (the training
  // rows, and the validation rows when they were learned too).
  std::vector<std::uint32_t> counts;
};

using EpochCallback = std::function<void(const EpochReport&)>;

// `num_features` and `num_fields` size the model (at least the data's). A
// warm start continues from `start` (and `start_optimiser` if given), which
// may have fewer features than now (a dictionary grown since), but the same
// type, fields and k.
[[nodiscard]] base::Result<TrainResult> Train(base::Env& env, const Dataset& train,
                                              const Dataset* valid, std::uint32_t num_features,
                                              std::uint32_t num_fields, const TrainOptions& options,
                                              const EpochCallback& on_epoch = {},
                                              const model::FfmParams* start = nullptr,
                                              const std::vector<float>* start_optimiser = nullptr);

// Logloss of `params` on `data` (the model's logistic output), over
// `threads` threads.
double EvaluateLogLoss(const model::FfmParams& params, const Dataset& data, bool normalise = true,
                       int threads = 1);

}  // namespace promorec::trainer
