// The AVX2/FMA path of the scoring kernel. Only the functions here are
// compiled for AVX2 and FMA (via target attributes), so the rest of the
// program still runs on CPUs without them; ffm_kernel.cc calls them only
// after checking the CPU at run time.

#include <cstddef>
#include <cstdint>

#include "promorec/model/ffm_kernel_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace promorec::model::internal {

#if defined(__x86_64__)

namespace {

#define PROMOREC_AVX2 __attribute__((target("avx2,fma")))

// Four lanes on, then four off: loading at kLaneMask + 4 - r gives a mask
// with the first r lanes on, so a tail of r < 4 floats is read with a
// masked load that never touches memory past the vector's end.
alignas(32) constexpr std::int32_t kLaneMask[8] = {-1, -1, -1, -1, 0, 0, 0, 0};

PROMOREC_AVX2 inline __m128i TailMask(std::size_t n) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(kLaneMask + 4 - n % 4));
}

PROMOREC_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// Lane-wise products of a and b summed into lanes (not yet reduced), so
// that callers can fold many dot products into one accumulator and reduce
// once. `tail` must be TailMask(n).
PROMOREC_AVX2 inline __m256 DotLanes(const float* a, const float* b, std::size_t n, __m128i tail) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  std::size_t t = 0;
  // Two accumulators hide the latency of back-to-back multiply-adds on the
  // long blocks of FFM models with many fields.
  for (; t + 16 <= n; t += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + t), _mm256_loadu_ps(b + t), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + t + 8), _mm256_loadu_ps(b + t + 8), acc1);
  }
  if (t + 8 <= n) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + t), _mm256_loadu_ps(b + t), acc0);
    t += 8;
  }
  // The tail in 128-bit steps: k = 4 (the default) is then one plain
  // 128-bit load per vector, and masked loads, which are slower, cover only
  // the last n % 4 floats.
  __m128 acc2 = _mm_setzero_ps();
  if (t + 4 <= n) {
    acc2 = _mm_mul_ps(_mm_loadu_ps(a + t), _mm_loadu_ps(b + t));
    t += 4;
  }
  if (t < n) acc2 = _mm_fmadd_ps(_mm_maskload_ps(a + t, tail), _mm_maskload_ps(b + t, tail), acc2);
  return _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_zextps128_ps256(acc2));
}

}  // namespace

bool Avx2Supported() {
  return __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
}

PROMOREC_AVX2 float DotAvx2(const float* a, const float* b, std::size_t n) {
  return HorizontalSum(DotLanes(a, b, n, TailMask(n)));
}

PROMOREC_AVX2 float ScoreRowAvx2(const FfmParams& params, std::span<const Feature> row) {
  const FfmShape& shape = params.shape();
  const std::span<const float> linear = params.linear();
  const std::size_t k = shape.k;
  const __m128i tail = TailMask(k);
  float linear_sum = params.bias();
  // Every pair's lane products, scaled by x_i x_j, go into one vector that
  // is reduced once at the end instead of once per pair.
  __m256 pairs = _mm256_setzero_ps();
  for (std::size_t i = 0; i < row.size(); ++i) {
    const Feature& a = row[i];
    if (a.index >= shape.num_features || a.field >= shape.num_fields) continue;
    linear_sum += linear[a.index] * a.value;
    for (std::size_t j = i + 1; j < row.size(); ++j) {
      const Feature& b = row[j];
      if (b.index >= shape.num_features || b.field >= shape.num_fields) continue;
      const __m256 lanes =
          DotLanes(params.latent_of(a.index, b.field), params.latent_of(b.index, a.field), k, tail);
      pairs = _mm256_fmadd_ps(lanes, _mm256_set1_ps(a.value * b.value), pairs);
    }
  }
  return linear_sum + HorizontalSum(pairs);
}

PROMOREC_AVX2 void ScoreManyAvx2(const ManyArgs& args, std::span<const std::uint32_t> indices,
                                 float* out) {
  const std::size_t n = indices.size();
  const std::size_t stride = args.stride;
  const __m128i tail = TailMask(stride);
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) PrefetchCandidate(args, indices[i + kPrefetchDistance]);
    const std::uint32_t c = indices[i];
    if (c >= args.num_features) {
      out[i] = args.base;
      continue;
    }
    const float* block = args.latent + static_cast<std::size_t>(c) * stride;
    out[i] = args.base + (args.linear[c] + HorizontalSum(DotLanes(block, args.w, stride, tail)));
  }
}

#undef PROMOREC_AVX2

#else

bool Avx2Supported() { return false; }

float DotAvx2(const float* a, const float* b, std::size_t n) { return DotScalar(a, b, n); }

float ScoreRowAvx2(const FfmParams& params, std::span<const Feature> row) {
  return ScoreRowScalar(params, row);
}

void ScoreManyAvx2(const ManyArgs& args, std::span<const std::uint32_t> indices, float* out) {
  ScoreManyScalar(args, indices, out);
}

#endif

}  // namespace promorec::model::internal
