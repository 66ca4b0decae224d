#include "promorec/model/ffm_params.h"

#include <cstdlib>
#include <cstring>

#include "promorec/base/large_alloc.h"
#include "promorec/base/random.h"

namespace promorec::model {
namespace {

constexpr std::size_t kAlignment = 32;

// Rounds a float count up so that the next array starts 32-byte aligned.
std::size_t Padded(std::size_t floats) {
  constexpr std::size_t per = kAlignment / sizeof(float);
  return (floats + per - 1) / per * per;
}

}  // namespace

base::Status FfmShape::Validate() const {
  if (num_fields == 0 || num_fields > 1024) {
    return base::InvalidArgument("field count " + std::to_string(num_fields) +
                                 " is outside 1..1024");
  }
  if (k == 0 || k > 256)
    return base::InvalidArgument("k " + std::to_string(k) + " is outside 1..256");
  if (num_features == 0) return base::InvalidArgument("a model needs at least one feature");
  const double bytes = static_cast<double>(num_features) * static_cast<double>(latent_fields()) *
                       static_cast<double>(k) * sizeof(float);
  if (bytes > 64.0 * (1ull << 30)) {
    return base::InvalidArgument("latent parameters would take " +
                                 std::to_string(static_cast<std::uint64_t>(bytes)) +
                                 " bytes, more than 64 GiB");
  }
  return {};
}

void FfmParams::Free::operator()(float* p) const { std::free(p); }

FfmParams::FfmParams(const FfmShape& shape) : shape_(shape) {}

base::Result<FfmParams> FfmParams::Zeros(const FfmShape& shape) {
  PROMOREC_RETURN_IF_ERROR(shape.Validate());
  FfmParams params(shape);
  const std::size_t bias_floats = Padded(1);
  const std::size_t linear_floats = Padded(shape.num_features);
  const std::size_t total = bias_floats + linear_floats + params.latent_size();
  float* memory = base::AllocateLargeFloats(Padded(total));
  if (memory == nullptr) {
    return base::MakeError(
        base::Code::kNoSpace,
        "cannot allocate " + std::to_string(total * sizeof(float)) + " bytes of model parameters");
  }
  params.storage_.reset(memory);
  params.bias_ = params.storage_.get();
  params.linear_ = params.bias_ + bias_floats;
  params.latent_ = params.linear_ + linear_floats;
  return params;
}

base::Result<FfmParams> FfmParams::Create(const FfmShape& shape, std::uint64_t seed, float scale) {
  PROMOREC_ASSIGN_OR_RETURN(FfmParams params, Zeros(shape));
  base::Rng rng(seed);
  for (float& v : params.latent()) v = scale * static_cast<float>(rng.Uniform());
  return params;
}

}  // namespace promorec::model
