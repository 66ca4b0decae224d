#include "promorec/trainer/sgd_state.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "promorec/base/large_alloc.h"

namespace promorec::trainer {
namespace {

constexpr std::size_t kBiasFloats = 16;
// Rows up to this long keep their parameter pointers on the stack; longer
// ones in a per-thread buffer.
constexpr std::size_t kMaxCachedRow = 64;

std::size_t RoundUp(std::size_t floats) { return (floats + 15) / 16 * 16; }

// A row's loss and its derivative (kappa) with respect to the score t.
struct RowLoss {
  double loss;
  float kappa;
};
// z = -y t for label y in {-1, 1}: the logistic loss is softplus(z) and its
// derivative with respect to t is -y sigmoid(z). Written so that neither
// overflows for any finite t.
RowLoss LogisticOf(float t, float label) {
  const float y = label > 0.5f ? 1.0f : -1.0f;
  const float z = -y * t;
  const float e = std::exp(-std::fabs(z));
  const float s = z >= 0 ? 1 / (1 + e) : e / (1 + e);
  // In float, and log(1 + e) rather than log1p(e): the loss only feeds the
  // progress report, logf is several times faster, and they differ by less
  // than 1e-7.
  const double loss = static_cast<double>(std::max(z, 0.0f) + std::log(1.0f + e));
  return {loss, -y * s};
}

// The squared-loss counterpart: the loss reported is (t - y)^2, its
// gradient in t is t - y (of half of it).
RowLoss SquaredOf(float t, float label) {
  const float d = t - label;
  return {static_cast<double>(d) * static_cast<double>(d), d};
}

float Norm(const RowRef& row, bool normalise) {
  if (!normalise) return 1;
  float sum = 0;
  for (std::size_t i = 0; i < row.size; ++i) {
    const float v = row.value == nullptr ? 1.0f : row.value[i];
    sum += v * v;
  }
  return sum > 0 ? 1 / sum : 1;
}

float ValueOf(const RowRef& row, std::size_t i) {
  return row.value == nullptr ? 1.0f : row.value[i];
}

// The sum over a row's pairs of scale * <a, c>. The SSE version adds the
// products lane by lane and reduces across lanes once, not once per pair.
template <bool kSse>
struct PairSum {
  float sum = 0;
  void Add(const float* a, const float* c, std::uint32_t k, float scale) {
    float dot = 0;
    for (std::uint32_t d = 0; d < k; ++d) dot += a[d] * c[d];
    sum += dot * scale;
  }
  float Total() const { return sum; }
};

template <>
struct PairSum<true> {
  __m128 sum = _mm_setzero_ps();
  void Add(const float* a, const float* c, std::uint32_t k, float scale) {
    __m128 dot = _mm_mul_ps(_mm_load_ps(a), _mm_load_ps(c));
    for (std::uint32_t d = 4; d < k; d += 4) {
      dot = _mm_add_ps(dot, _mm_mul_ps(_mm_load_ps(a + d), _mm_load_ps(c + d)));
    }
    sum = _mm_add_ps(sum, scale == 1.0f ? dot : _mm_mul_ps(dot, _mm_set1_ps(scale)));
  }
  float Total() const {
    __m128 s = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
};

// AdaGrad on two latent vectors that met in a pair: w[0..k) with sums
// w[k..2k).
void PairStep(float* v1, float* v2, std::uint32_t k, float xx, float l1, float l2, float eta,
              std::true_type) {
  const __m128 mxx = _mm_set1_ps(xx), ml1 = _mm_set1_ps(l1), ml2 = _mm_set1_ps(l2),
               meta = _mm_set1_ps(eta);
  for (std::uint32_t d = 0; d < k; d += 4) {
    __m128 w1 = _mm_load_ps(v1 + d), w2 = _mm_load_ps(v2 + d);
    __m128 g1 = _mm_load_ps(v1 + k + d), g2 = _mm_load_ps(v2 + k + d);
    const __m128 d1 = _mm_add_ps(_mm_mul_ps(ml1, w1), _mm_mul_ps(mxx, w2));
    const __m128 d2 = _mm_add_ps(_mm_mul_ps(ml2, w2), _mm_mul_ps(mxx, w1));
    g1 = _mm_add_ps(g1, _mm_mul_ps(d1, d1));
    g2 = _mm_add_ps(g2, _mm_mul_ps(d2, d2));
    w1 = _mm_sub_ps(w1, _mm_mul_ps(meta, _mm_mul_ps(d1, _mm_rsqrt_ps(g1))));
    w2 = _mm_sub_ps(w2, _mm_mul_ps(meta, _mm_mul_ps(d2, _mm_rsqrt_ps(g2))));
    _mm_store_ps(v1 + d, w1);
    _mm_store_ps(v2 + d, w2);
    _mm_store_ps(v1 + k + d, g1);
    _mm_store_ps(v2 + k + d, g2);
  }
}

void PairStep(float* v1, float* v2, std::uint32_t k, float xx, float l1, float l2, float eta,
              std::false_type) {
  for (std::uint32_t d = 0; d < k; ++d) {
    const float w1 = v1[d], w2 = v2[d];
    const float d1 = l1 * w1 + xx * w2, d2 = l2 * w2 + xx * w1;
    v1[k + d] += d1 * d1;
    v2[k + d] += d2 * d2;
    v1[d] = w1 - eta * d1 / std::sqrt(v1[k + d]);
    v2[d] = w2 - eta * d2 / std::sqrt(v2[k + d]);
  }
}

}  // namespace

void SgdState::Free::operator()(float* p) const { std::free(p); }

SgdState::SgdState(const model::FfmShape& shape)
    : shape_(shape),
      ffm_(shape.type == model::ModelType::kFfm),
      block_(static_cast<std::size_t>(shape.latent_fields()) * 2 * shape.k) {}

base::Result<SgdState> SgdState::From(const model::FfmParams& params,
                                      std::span<const float> optimiser, float initial_sum) {
  const model::FfmShape& shape = params.shape();
  PROMOREC_RETURN_IF_ERROR(shape.Validate());
  const std::size_t model_floats = 1 + params.linear().size() + params.latent().size();
  if (!optimiser.empty() && optimiser.size() != model_floats) {
    return base::InvalidArgument("optimiser state has " + std::to_string(optimiser.size()) +
                                 " floats, the model needs " + std::to_string(model_floats));
  }
  SgdState s(shape);
  const std::size_t linear_floats = RoundUp(4 * static_cast<std::size_t>(shape.num_features));
  s.floats_ = kBiasFloats + linear_floats + shape.num_features * s.block_;
  float* memory = base::AllocateLargeFloats(RoundUp(s.floats_));
  if (memory == nullptr) {
    return base::MakeError(base::Code::kNoSpace, "cannot allocate " +
                                                     std::to_string(s.floats_ * sizeof(float)) +
                                                     " bytes of training state");
  }
  s.storage_.reset(memory);
  s.bias_ = s.storage_.get();
  s.linear_ = s.bias_ + kBiasFloats;
  s.latent_ = s.linear_ + linear_floats;
  const auto g = [&](std::size_t at) { return optimiser.empty() ? initial_sum : optimiser[at]; };
  s.bias_[0] = params.bias();
  s.bias_[1] = g(0);
  const std::uint32_t k = shape.k;
  for (std::uint32_t f = 0; f < shape.num_features; ++f) {
    s.linear(f)[0] = params.linear()[f];
    s.linear(f)[1] = g(1 + f);
    for (std::uint32_t field = 0; field < shape.latent_fields(); ++field) {
      const float* w = params.latent_of(f, field);
      float* out = s.latent(f, field);
      const std::size_t at =
          1 + shape.num_features + static_cast<std::size_t>(w - params.latent().data());
      for (std::uint32_t d = 0; d < k; ++d) {
        out[d] = w[d];
        out[k + d] = g(at + d);
      }
    }
  }
  return s;
}

void SgdState::SetCounts(std::span<const std::uint32_t> counts) {
  for (std::uint32_t f = 0; f < shape_.num_features; ++f) {
    const std::uint32_t n = f < counts.size() ? counts[f] : 0;
    linear(f)[2] = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
  }
  RefreshReplicas();
}

SgdState::Blocks* SgdState::BlocksFor(std::size_t n, Blocks* stack) {
  if (n <= kMaxCachedRow) return stack;
  thread_local std::vector<Blocks> heap;
  heap.resize(n);
  return heap.data();
}

void SgdState::Resolve(const RowRef& row, Replica* replica, Blocks* out) const {
  for (std::size_t i = 0; i < row.size; ++i) {
    if (!Known(row.index[i], row.field[i])) {
      out[i] = Blocks{};
      continue;
    }
    float* lin = linear(row.index[i]);
    float* lat = latent_ + static_cast<std::size_t>(row.index[i]) * block_;
    if (replica != nullptr) {
      std::uint32_t slot = 0;  // 1 + the hot slot, kept in the unused fourth float
      std::memcpy(&slot, lin + 3, sizeof slot);
      if (slot != 0) {
        lin = replica->linear + 4 * static_cast<std::size_t>(slot - 1);
        lat = replica->latent + static_cast<std::size_t>(slot - 1) * block_;
      }
    }
    out[i] = Blocks{lin, lat};
  }
}

template <bool kSse>
float SgdState::LogitImpl(const RowRef& row, const Blocks* b, bool normalise) const {
  const std::uint32_t k = shape_.k;
  float t = 0;
  PairSum<kSse> pairs;
  for (std::size_t i = 0; i < row.size; ++i) {
    if (b[i].linear == nullptr) continue;
    const float vi = ValueOf(row, i);
    t += b[i].linear[0] * vi;
    for (std::size_t j = i + 1; j < row.size; ++j) {
      if (b[j].linear == nullptr) continue;
      pairs.Add(latent_in(b[i], row.field[j]), latent_in(b[j], row.field[i]), k,
                row.value == nullptr ? 1.0f : vi * row.value[j]);
    }
  }
  return t + pairs.Total() * Norm(row, normalise);
}

template <bool kSse>
double SgdState::UpdateImpl(const RowRef& row, float label, const SgdOptions& o, Replica* replica) {
  const std::integral_constant<bool, kSse> sse;
  const std::uint32_t k = shape_.k;
  Blocks stack[kMaxCachedRow];
  Blocks* b = BlocksFor(row.size, stack);
  Resolve(row, replica, b);
  float* bias = replica != nullptr ? replica->bias : bias_;
  const float norm = Norm(row, o.normalise);
  const float t = bias[0] + LogitImpl<kSse>(row, b, o.normalise);
  const RowLoss l = o.squared ? SquaredOf(t, label) : LogisticOf(t, label);
  const float kappa = l.kappa;
  bias[1] += kappa * kappa;
  bias[0] -= o.eta * kappa / std::sqrt(bias[1]);
  for (std::size_t i = 0; i < row.size; ++i) {
    float* w = b[i].linear;
    if (w == nullptr) continue;
    const float grad = kappa * ValueOf(row, i) + (o.lambda_linear + o.prior_linear * w[2]) * w[0];
    w[1] += grad * grad;
    w[0] -= o.eta * grad / std::sqrt(w[1]);
  }
  for (std::size_t i = 0; i < row.size; ++i) {
    if (b[i].linear == nullptr) continue;
    const float li = o.lambda + o.prior_latent * b[i].linear[2];
    const float xi = kappa * ValueOf(row, i) * norm;
    for (std::size_t j = i + 1; j < row.size; ++j) {
      if (b[j].linear == nullptr) continue;
      const float lj = o.lambda + o.prior_latent * b[j].linear[2];
      PairStep(latent_in(b[i], row.field[j]), latent_in(b[j], row.field[i]), k,
               xi * ValueOf(row, j), li, lj, o.eta, sse);
    }
  }
  return l.loss;
}

double SgdState::Update(const RowRef& row, float label, const SgdOptions& options,
                        std::size_t replica) {
  Replica* r = replica < replicas_.size() ? &replicas_[replica] : nullptr;
  return shape_.k % 4 == 0 ? UpdateImpl<true>(row, label, options, r)
                           : UpdateImpl<false>(row, label, options, r);
}

float SgdState::Logit(const RowRef& row, bool normalise) const {
  Blocks stack[kMaxCachedRow];
  Blocks* b = BlocksFor(row.size, stack);
  Resolve(row, nullptr, b);
  return bias_[0] + (shape_.k % 4 == 0 ? LogitImpl<true>(row, b, normalise)
                                       : LogitImpl<false>(row, b, normalise));
}

void SgdState::Prefetch(const RowRef& row) const {
  const std::size_t bytes = std::min<std::size_t>(block_ * sizeof(float), 16 * 64);
  for (std::size_t i = 0; i < row.size; ++i) {
    if (row.index[i] >= shape_.num_features) continue;
    __builtin_prefetch(linear(row.index[i]), 1);
    const char* at = reinterpret_cast<const char*>(latent(row.index[i], 0));
    for (std::size_t b = 0; b < bytes; b += 64) __builtin_prefetch(at + b, 1);
  }
}

void SgdState::ExportParams(model::FfmParams* params) const {
  params->bias() = bias_[0];
  for (std::uint32_t f = 0; f < shape_.num_features; ++f) {
    params->linear()[f] = linear(f)[0];
    for (std::uint32_t field = 0; field < shape_.latent_fields(); ++field) {
      std::memcpy(params->latent_of(f, field), latent(f, field), shape_.k * sizeof(float));
    }
  }
}

std::vector<float> SgdState::ExportOptimiser() const {
  std::vector<float> out;
  out.reserve(1 + shape_.num_features + shape_.num_features * block_ / 2);
  out.push_back(bias_[1]);
  for (std::uint32_t f = 0; f < shape_.num_features; ++f) out.push_back(linear(f)[1]);
  for (std::uint32_t f = 0; f < shape_.num_features; ++f) {
    for (std::uint32_t field = 0; field < shape_.latent_fields(); ++field) {
      const float* g = latent(f, field) + shape_.k;
      out.insert(out.end(), g, g + shape_.k);
    }
  }
  return out;
}

base::Status SgdState::Save(base::Env& env, const std::string& path) const {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  PROMOREC_RETURN_IF_ERROR(
      file->Append({reinterpret_cast<const char*>(storage_.get()), floats_ * sizeof(float)}));
  return file->Close();
}

base::Status SgdState::Load(base::Env& env, const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  if (size != floats_ * sizeof(float))
    return base::Corruption(path + ": snapshot has the wrong size");
  const std::span<char> buf(reinterpret_cast<char*>(storage_.get()), floats_ * sizeof(float));
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file->ReadAt(0, buf));
  if (got != buf.size()) return base::Corruption(path + ": snapshot is short");
  RefreshReplicas();
  return {};
}

base::Status SgdState::AverageWith(base::Env& env, const std::string& path, float weight) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  if (size != floats_ * sizeof(float))
    return base::Corruption(path + ": snapshot has the wrong size");
  std::vector<float> piece(1 << 16);
  for (std::size_t at = 0; at < floats_; at += piece.size()) {
    const std::size_t n = std::min(piece.size(), floats_ - at);
    const std::span<char> buf(reinterpret_cast<char*>(piece.data()), n * sizeof(float));
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file->ReadAt(at * sizeof(float), buf));
    if (got != buf.size()) return base::Corruption(path + ": snapshot is short");
    float* mine = storage_.get() + at;
    for (std::size_t i = 0; i < n; ++i) mine[i] += weight * (piece[i] - mine[i]);
  }
  RefreshReplicas();
  return {};
}

}  // namespace promorec::trainer
