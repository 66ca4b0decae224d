// Online learning: a model keeps learning from a stream of labelled
// examples (a shopper clicked the promotion shown, or did not), one AdaGrad
// step per example, continuing the optimiser state the batch trainer left
// in the model file. Each example is scored before it is learned, so the
// mean of those losses (progressive validation) tells how the model does
// on data it has not seen yet.
//
// Features outside the model (a value the dictionary gained after the
// model was built) are skipped; a warm-started retrain brings them in.
// Thread-safety: one thread at a time; Export copies out a consistent
// snapshot for serving.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/model/ffm_kernel.h"
#include "promorec/model/ffm_params.h"
#include "promorec/trainer/sgd_state.h"

namespace promorec::trainer {

class OnlineLearner {
 public:
  // `optimiser` and `counts` as in the model file (either may be empty:
  // AdaGrad then starts afresh, and every feature counts as unseen).
  [[nodiscard]] static base::Result<OnlineLearner> Create(const model::FfmParams& params,
                                                          std::span<const float> optimiser,
                                                          std::span<const std::uint32_t> counts,
                                                          const SgdOptions& options);

  // Scores the example, learns from it, and returns its loss before the
  // step.
  double Learn(std::span<const model::Feature> row, float label);

  std::uint64_t examples() const { return examples_; }
  double progressive_logloss() const {
    return examples_ == 0 ? 0 : loss_sum_ / static_cast<double>(examples_);
  }

  // The current parameters, optimiser state and counts, in the model
  // file's layout.
  [[nodiscard]] base::Result<model::FfmParams> ExportParams() const;
  std::vector<float> ExportOptimiser() const { return state_.ExportOptimiser(); }
  const std::vector<std::uint32_t>& counts() const { return counts_; }

 private:
  OnlineLearner(SgdState state, std::vector<std::uint32_t> counts, const SgdOptions& options)
      : state_(std::move(state)), counts_(std::move(counts)), options_(options) {}

  SgdState state_;
  std::vector<std::uint32_t> counts_;
  SgdOptions options_;
  std::vector<std::uint32_t> index_;
  std::vector<std::uint16_t> field_;
  std::vector<float> value_;
  std::uint64_t examples_ = 0;
  double loss_sum_ = 0;
};

}  // namespace promorec::trainer
