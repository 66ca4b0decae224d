// The parameters of a field-aware factorization machine (FFM), and plain
// FM as the special case of one latent vector per feature. This is the
// memory layout the scoring kernel reads and the trainer updates in place:
//
//   bias                           1 float
//   linear[feature]                num_features floats
//   latent[feature][field][0..k)   num_features * latent_fields * k floats
//
// where latent_fields = num_fields for FFM and 1 for FM. The latent block
// of one feature is contiguous, so scoring one candidate touches one run of
// latent_fields * k floats. The arrays are 32-byte aligned for AVX2.
// Thread-safety: no locking. Concurrent readers are fine; the trainer's
// Hogwild updates are deliberate unsynchronised writes to the floats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "promorec/base/status.h"

namespace promorec::model {

enum class ModelType : std::uint8_t { kFfm = 0, kFm = 1 };

struct FfmShape {
  ModelType type = ModelType::kFfm;
  std::uint32_t num_features = 0;
  std::uint32_t num_fields = 0;
  std::uint32_t k = 4;

  std::uint32_t latent_fields() const { return type == ModelType::kFfm ? num_fields : 1; }
  // Floats in one feature's latent block.
  std::size_t latent_stride() const { return static_cast<std::size_t>(latent_fields()) * k; }
  [[nodiscard]] base::Status Validate() const;
  friend bool operator==(const FfmShape&, const FfmShape&) = default;
};

class FfmParams {
 public:
  // Zero bias and linear terms; latent values uniform in [0, scale) drawn
  // from a fixed-seed generator, so two models built alike are identical.
  [[nodiscard]] static base::Result<FfmParams> Create(const FfmShape& shape, std::uint64_t seed,
                                                      float scale);
  // All zeros (for loading a model file into).
  [[nodiscard]] static base::Result<FfmParams> Zeros(const FfmShape& shape);

  FfmParams(FfmParams&&) noexcept = default;
  FfmParams& operator=(FfmParams&&) noexcept = default;

  const FfmShape& shape() const { return shape_; }
  float& bias() { return *bias_; }
  float bias() const { return *bias_; }
  std::span<float> linear() { return {linear_, shape_.num_features}; }
  std::span<const float> linear() const { return {linear_, shape_.num_features}; }
  std::span<float> latent() { return {latent_, latent_size()}; }
  std::span<const float> latent() const { return {latent_, latent_size()}; }
  // The latent vector of `feature` for interactions with `field` (k floats).
  const float* latent_of(std::uint32_t feature, std::uint32_t field) const {
    return latent_ + static_cast<std::size_t>(feature) * shape_.latent_stride() +
           (shape_.type == ModelType::kFfm ? static_cast<std::size_t>(field) * shape_.k : 0);
  }
  float* latent_of(std::uint32_t feature, std::uint32_t field) {
    return const_cast<float*>(std::as_const(*this).latent_of(feature, field));
  }
  std::size_t latent_size() const {
    return static_cast<std::size_t>(shape_.num_features) * shape_.latent_stride();
  }

 private:
  struct Free {
    void operator()(float* p) const;
  };
  explicit FfmParams(const FfmShape& shape);

  FfmShape shape_;
  std::unique_ptr<float, Free> storage_;
  float* bias_ = nullptr;
  float* linear_ = nullptr;
  float* latent_ = nullptr;
};

}  // namespace promorec::model
