// The two implementations (scalar and AVX2/FMA) behind ffm_kernel.h,
// exposed so that tests can run both on the same inputs and check that they
// agree, and so the benchmark can measure the scalar fallback on a machine
// that has AVX2. Not for use outside model/, its tests and bench/.
//
// Thread-safety: pure functions; the Kernels tables are immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "promorec/model/ffm_kernel.h"
#include "promorec/model/ffm_params.h"

namespace promorec::model::internal {

// The inner loop of CandidateScorer::ScoreMany, flattened to plain pointers
// so that both paths share one signature:
//   out[i] = base + linear[c] + <latent[c * stride .. + stride), w>
// for c = indices[i] < num_features, and out[i] = base otherwise.
struct ManyArgs {
  const float* latent = nullptr;
  const float* linear = nullptr;
  std::size_t stride = 0;  // latent floats per feature, also the length of w
  std::uint32_t num_features = 0;
  const float* w = nullptr;  // the context block W_F for the candidates' field
  float base = 0.0f;         // the context's own logit
};

float ScoreRowScalar(const FfmParams& params, std::span<const Feature> row);
float DotScalar(const float* a, const float* b, std::size_t n);
void ScoreManyScalar(const ManyArgs& args, std::span<const std::uint32_t> indices, float* out);

// Only call these when Avx2Supported() is true: they execute AVX2 and FMA
// instructions the CPU may lack.
float ScoreRowAvx2(const FfmParams& params, std::span<const Feature> row);
float DotAvx2(const float* a, const float* b, std::size_t n);
void ScoreManyAvx2(const ManyArgs& args, std::span<const std::uint32_t> indices, float* out);
bool Avx2Supported();

// One path's functions together, so a scorer picks its path once.
struct Kernels {
  float (*score_row)(const FfmParams&, std::span<const Feature>);
  float (*dot)(const float*, const float*, std::size_t);
  void (*score_many)(const ManyArgs&, std::span<const std::uint32_t>, float*);
  bool avx2;
};

const Kernels& ScalarKernels();
// The AVX2 table when the CPU supports it, else the scalar one.
const Kernels& BestKernels();

// How far ahead ScoreMany prefetches a candidate's parameters. Candidates
// are random rows of a table far larger than the caches, so without this
// every candidate waits for memory; the distance covers a DRAM round trip
// at a few nanoseconds per candidate.
inline constexpr std::size_t kPrefetchDistance = 16;

// Prefetches the linear weight and the latent block (at most the first
// 512 bytes; the hardware prefetcher follows longer runs) of feature c.
inline void PrefetchCandidate(const ManyArgs& args, std::uint32_t c) {
  if (c >= args.num_features) return;
  __builtin_prefetch(args.linear + c);
  const float* block = args.latent + static_cast<std::size_t>(c) * args.stride;
  constexpr std::size_t kLineFloats = 64 / sizeof(float);
  const std::size_t span = args.stride < 8 * kLineFloats ? args.stride : 8 * kLineFloats;
  for (std::size_t t = 0; t < span; t += kLineFloats) __builtin_prefetch(block + t);
  // The block need not start on a line, so its last float may sit one line
  // beyond the steps above.
  __builtin_prefetch(block + span - 1);
}

}  // namespace promorec::model::internal
