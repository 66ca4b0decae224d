#include "promorec/trainer/dataset.h"

#include <algorithm>

namespace promorec::trainer {

void Dataset::AddRow(float label, std::span<const model::Feature> features) {
  labels_.push_back(label);
  features_.insert(features_.end(), features.begin(), features.end());
  offsets_.push_back(features_.size());
  for (const model::Feature& f : features) {
    num_fields_ = std::max(num_fields_, f.field + 1);
    num_features_ = std::max(num_features_, f.index + 1);
  }
}

}  // namespace promorec::trainer
