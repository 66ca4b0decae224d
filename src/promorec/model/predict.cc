#include "promorec/model/predict.h"

#include <cmath>

namespace promorec::model {

float PredictLogit(const FfmParams& params, std::span<const Feature> row,
                   bool instance_normalisation, std::vector<Feature>* scratch) {
  if (!instance_normalisation) return ScoreRow(params, row);
  float sum = 0;
  for (const auto& f : row) sum += f.value * f.value;
  const float scale = sum > 0 ? 1 / std::sqrt(sum) : 1.0f;
  // Scaling every value by sqrt(1/sum) scales the pair terms by 1/sum; the
  // linear terms, which normalisation leaves alone, are put back below.
  scratch->assign(row.begin(), row.end());
  float linear_correction = 0;
  for (auto& f : *scratch) {
    if (f.index < params.shape().num_features && f.field < params.shape().num_fields) {
      linear_correction += params.linear()[f.index] * f.value * (1 - scale);
    }
    f.value *= scale;
  }
  return ScoreRow(params, *scratch) + linear_correction;
}

}  // namespace promorec::model
