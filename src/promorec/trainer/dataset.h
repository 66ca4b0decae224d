// Training data in memory: rows of sparse field-aware features with a label,
// stored row after row in one feature array (CSR) so that an epoch walks
// memory in order and holds no per-row allocation.
// Thread-safety: a value type; concurrent readers are fine.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "promorec/model/ffm_kernel.h"

namespace promorec::trainer {

class Dataset {
 public:
  // `label` is 1 for a click, 0 otherwise.
  void AddRow(float label, std::span<const model::Feature> features);

  std::size_t rows() const { return labels_.size(); }
  float label(std::size_t row) const { return labels_[row]; }
  std::span<const model::Feature> row(std::size_t i) const {
    return {features_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  // One past the largest field and feature index seen.
  std::uint32_t num_fields() const { return num_fields_; }
  std::uint32_t num_features() const { return num_features_; }
  std::size_t total_features() const { return features_.size(); }

 private:
  std::vector<float> labels_;
  std::vector<std::size_t> offsets_{0};
  std::vector<model::Feature> features_;
  std::uint32_t num_fields_ = 0;
  std::uint32_t num_features_ = 0;
};

}  // namespace promorec::trainer
