#include "promorec/model/ffm_kernel.h"

#include <algorithm>
#include <cmath>

#include "promorec/model/ffm_kernel_internal.h"

namespace promorec::model {
namespace internal {
namespace {

bool Known(const FfmShape& shape, const Feature& f) {
  return f.index < shape.num_features && f.field < shape.num_fields;
}

}  // namespace

float DotScalar(const float* a, const float* b, std::size_t n) {
  // Four partial sums break the dependency chain of one running sum, which
  // is what limits a float reduction the compiler may not reorder.
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  std::size_t t = 0;
  for (; t + 4 <= n; t += 4) {
    s0 += a[t] * b[t];
    s1 += a[t + 1] * b[t + 1];
    s2 += a[t + 2] * b[t + 2];
    s3 += a[t + 3] * b[t + 3];
  }
  for (; t < n; ++t) s0 += a[t] * b[t];
  return (s0 + s1) + (s2 + s3);
}

float ScoreRowScalar(const FfmParams& params, std::span<const Feature> row) {
  const FfmShape& shape = params.shape();
  const std::span<const float> linear = params.linear();
  float linear_sum = params.bias();
  float pair_sum = 0.0f;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const Feature& a = row[i];
    if (!Known(shape, a)) continue;
    linear_sum += linear[a.index] * a.value;
    for (std::size_t j = i + 1; j < row.size(); ++j) {
      const Feature& b = row[j];
      if (!Known(shape, b)) continue;
      const float dot = DotScalar(params.latent_of(a.index, b.field),
                                  params.latent_of(b.index, a.field), shape.k);
      pair_sum += dot * (a.value * b.value);
    }
  }
  return linear_sum + pair_sum;
}

void ScoreManyScalar(const ManyArgs& args, std::span<const std::uint32_t> indices, float* out) {
  const std::size_t n = indices.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) PrefetchCandidate(args, indices[i + kPrefetchDistance]);
    const std::uint32_t c = indices[i];
    if (c >= args.num_features) {
      out[i] = args.base;
      continue;
    }
    const float* block = args.latent + static_cast<std::size_t>(c) * args.stride;
    out[i] = args.base + (args.linear[c] + DotScalar(block, args.w, args.stride));
  }
}

const Kernels& ScalarKernels() {
  static constexpr Kernels kScalar{ScoreRowScalar, DotScalar, ScoreManyScalar, false};
  return kScalar;
}

const Kernels& BestKernels() {
  static constexpr Kernels kAvx2{ScoreRowAvx2, DotAvx2, ScoreManyAvx2, true};
  // Decided once; the CPU does not change under a running process.
  static const Kernels& best = Avx2Supported() ? kAvx2 : ScalarKernels();
  return best;
}

}  // namespace internal

float ScoreRow(const FfmParams& params, std::span<const Feature> row) {
  return internal::BestKernels().score_row(params, row);
}

float Sigmoid(float logit) {
  // Only ever exponentiate a non-positive number, so exp cannot overflow.
  if (logit >= 0.0f) return 1.0f / (1.0f + std::exp(-logit));
  const float e = std::exp(logit);
  return e / (1.0f + e);
}

bool KernelUsesAvx2() { return internal::BestKernels().avx2; }

CandidateScorer::CandidateScorer(const FfmParams& params, KernelPath path)
    : params_(&params),
      kernels_(path == KernelPath::kScalar ? &internal::ScalarKernels() : &internal::BestKernels()),
      avx2_(kernels_->avx2) {
  context_.reserve(16);
  Rebind(params);
}

void CandidateScorer::Rebind(const FfmParams& params) {
  params_ = &params;
  const FfmShape& shape = params.shape();
  context_.clear();
  context_logit_ = params.bias();
  if (shape.type == ModelType::kFm) {
    // FM has one latent vector per feature, so a single W = sum_j V[j] x_j
    // serves candidates of every field.
    slot_of_field_.assign(shape.num_fields, 0);
    w_.assign(shape.k, 0.0f);
  } else {
    slot_of_field_.assign(shape.num_fields, kNoSlot);
    w_.clear();
    w_.reserve(2 * shape.latent_stride());
  }
}

std::int32_t CandidateScorer::SlotOf(std::uint32_t field) const {
  return field < slot_of_field_.size() ? slot_of_field_[field] : kNoSlot;
}

void CandidateScorer::SetContext(std::span<const Feature> context,
                                 std::span<const std::uint32_t> candidate_fields,
                                 bool instance_normalisation) {
  const FfmShape& shape = params_->shape();
  context_.clear();
  for (const Feature& f : context) {
    if (f.index < shape.num_features && f.field < shape.num_fields) context_.push_back(f);
  }
  normalise_ = instance_normalisation;
  const float whole = kernels_->score_row(*params_, context_);
  // The sum of squares counts unknown features too, as training and
  // PredictLogit do: they are part of the row even if they add no terms.
  context_sq_ = 0.0f;
  for (const Feature& f : context) context_sq_ += f.value * f.value;
  context_linear_ = params_->bias();
  for (const Feature& f : context_) context_linear_ += params_->linear()[f.index] * f.value;
  context_pairs_ = whole - context_linear_;
  context_logit_ =
      normalise_ && context_sq_ > 0.0f ? context_linear_ + context_pairs_ / context_sq_ : whole;

  const std::size_t k = shape.k;
  if (shape.type == ModelType::kFm) {
    std::fill(w_.begin(), w_.end(), 0.0f);
    for (const Feature& j : context_) {
      const float* v = params_->latent_of(j.index, 0);
      for (std::size_t t = 0; t < k; ++t) w_[t] += v[t] * j.value;
    }
    ScaleForOneHotCandidates();
    return;
  }

  std::fill(slot_of_field_.begin(), slot_of_field_.end(), kNoSlot);
  std::int32_t slots = 0;
  for (std::uint32_t field : candidate_fields) {
    if (field < shape.num_fields && slot_of_field_[field] == kNoSlot) {
      slot_of_field_[field] = slots++;
    }
  }
  const std::size_t stride = shape.latent_stride();
  w_.assign(static_cast<std::size_t>(slots) * stride, 0.0f);
  for (std::uint32_t field = 0; field < shape.num_fields; ++field) {
    const std::int32_t slot = slot_of_field_[field];
    if (slot == kNoSlot) continue;
    float* w_field = w_.data() + static_cast<std::size_t>(slot) * stride;
    for (const Feature& j : context_) {
      // Context feature j (field g) meets a candidate of `field` through
      // V[j][field], paired with the candidate's V[c][g]: it lands in block g.
      const float* v = params_->latent_of(j.index, field);
      float* w_g = w_field + static_cast<std::size_t>(j.field) * k;
      for (std::size_t t = 0; t < k; ++t) w_g[t] += v[t] * j.value;
    }
  }
  ScaleForOneHotCandidates();
}

void CandidateScorer::ScaleForOneHotCandidates() {
  // A one-hot candidate (value 1) adds 1 to the sum of squares, so every
  // candidate of ScoreMany shares the scale 1 / (context's + 1).
  one_hot_scale_ = normalise_ ? 1.0f / (context_sq_ + 1.0f) : 1.0f;
  w_many_.assign(w_.begin(), w_.end());
  if (normalise_) {
    for (float& v : w_many_) v *= one_hot_scale_;
  }
}

float CandidateScorer::ContextInteraction(const Feature& c) const {
  const FfmShape& shape = params_->shape();
  const std::int32_t slot = SlotOf(c.field);
  if (slot != kNoSlot) {
    const std::size_t stride = shape.latent_stride();
    return kernels_->dot(params_->latent_of(c.index, 0),
                         w_.data() + static_cast<std::size_t>(slot) * stride, stride);
  }
  float sum = 0.0f;
  for (const Feature& j : context_) {
    sum += kernels_->dot(params_->latent_of(c.index, j.field), params_->latent_of(j.index, c.field),
                         shape.k) *
           j.value;
  }
  return sum;
}

float CandidateScorer::Score(std::span<const Feature> candidate) const {
  const FfmShape& shape = params_->shape();
  const std::span<const float> linear = params_->linear();
  float linear_sum = 0.0f;
  float pair_sum = 0.0f;
  float sq = context_sq_;
  for (std::size_t i = 0; i < candidate.size(); ++i) {
    const Feature& a = candidate[i];
    sq += a.value * a.value;
    if (a.index >= shape.num_features || a.field >= shape.num_fields) continue;
    linear_sum += linear[a.index] * a.value;
    pair_sum += ContextInteraction(a) * a.value;
    for (std::size_t j = i + 1; j < candidate.size(); ++j) {
      const Feature& b = candidate[j];
      if (b.index >= shape.num_features || b.field >= shape.num_fields) continue;
      pair_sum += kernels_->dot(params_->latent_of(a.index, b.field),
                                params_->latent_of(b.index, a.field), shape.k) *
                  (a.value * b.value);
    }
  }
  if (!normalise_) return context_logit_ + linear_sum + pair_sum;
  const float scale = sq > 0.0f ? 1.0f / sq : 1.0f;
  return context_linear_ + linear_sum + (context_pairs_ + pair_sum) * scale;
}

void CandidateScorer::ScoreMany(std::uint32_t field, std::span<const std::uint32_t> indices,
                                std::span<float> out) const {
  const FfmShape& shape = params_->shape();
  const std::size_t n = std::min(indices.size(), out.size());
  if (field >= shape.num_fields) {
    // A field the model does not have: every candidate contributes nothing.
    std::fill_n(out.begin(), n,
                normalise_ ? context_linear_ + context_pairs_ * one_hot_scale_ : context_logit_);
    return;
  }
  const std::int32_t slot = SlotOf(field);
  if (slot == kNoSlot) {
    for (std::size_t i = 0; i < n; ++i) {
      const Feature c{field, indices[i], 1.0f};
      out[i] = Score({&c, 1});
    }
    return;
  }
  const std::size_t stride = shape.latent_stride();
  internal::ManyArgs args;
  args.latent = params_->latent().data();
  args.linear = params_->linear().data();
  args.stride = stride;
  args.num_features = shape.num_features;
  args.w = w_many_.data() + static_cast<std::size_t>(slot) * stride;
  args.base = normalise_ ? context_linear_ + context_pairs_ * one_hot_scale_ : context_logit_;
  // An index the model does not have adds no terms but still counts in the
  // sum of squares, so `base` is its score too.
  kernels_->score_many(args, indices.first(n), out.data());
}

}  // namespace promorec::model
