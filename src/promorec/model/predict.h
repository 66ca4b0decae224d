// The probability a model gives a row, with the model's instance-wise
// normalisation applied exactly as in training (pair terms scaled by
// 1 / sum of squared values). Training, evaluation and serving all call
// this, so they cannot drift apart.
// Thread-safety: pure; `scratch` is the caller's.
#pragma once

#include <span>
#include <vector>

#include "promorec/model/ffm_kernel.h"

namespace promorec::model {

float PredictLogit(const FfmParams& params, std::span<const Feature> row,
                   bool instance_normalisation, std::vector<Feature>* scratch);

inline float PredictProbability(const FfmParams& params, std::span<const Feature> row,
                                bool instance_normalisation, std::vector<Feature>* scratch) {
  return Sigmoid(PredictLogit(params, row, instance_normalisation, scratch));
}

}  // namespace promorec::model
