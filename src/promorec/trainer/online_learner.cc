#include "promorec/trainer/online_learner.h"

#include <algorithm>

namespace promorec::trainer {

base::Result<OnlineLearner> OnlineLearner::Create(const model::FfmParams& params,
                                                  std::span<const float> optimiser,
                                                  std::span<const std::uint32_t> counts,
                                                  const SgdOptions& options) {
  PROMOREC_ASSIGN_OR_RETURN(SgdState state, SgdState::From(params, optimiser));
  std::vector<std::uint32_t> own(params.shape().num_features, 0);
  std::copy_n(counts.begin(), std::min(counts.size(), own.size()), own.begin());
  state.SetCounts(own);
  return OnlineLearner(std::move(state), std::move(own), options);
}

double OnlineLearner::Learn(std::span<const model::Feature> row, float label) {
  index_.clear();
  field_.clear();
  value_.clear();
  bool ones = true;
  for (const model::Feature& f : row) {
    if (f.index >= state_.shape().num_features || f.field >= state_.shape().num_fields) continue;
    index_.push_back(f.index);
    field_.push_back(static_cast<std::uint16_t>(f.field));
    value_.push_back(f.value);
    ones = ones && f.value == 1.0f;
    // Saturating: a count only scales the regularisation.
    if (counts_[f.index] < UINT32_MAX) state_.SetCount(f.index, ++counts_[f.index]);
  }
  const RowRef ref{index_.data(), field_.data(), ones ? nullptr : value_.data(), index_.size()};
  const double loss = state_.Update(ref, label, options_);
  ++examples_;
  loss_sum_ += loss;
  return loss;
}

base::Result<model::FfmParams> OnlineLearner::ExportParams() const {
  PROMOREC_ASSIGN_OR_RETURN(model::FfmParams params, model::FfmParams::Zeros(state_.shape()));
  state_.ExportParams(&params);
  return params;
}

}  // namespace promorec::trainer
