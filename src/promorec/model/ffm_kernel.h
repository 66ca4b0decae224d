// The one scoring kernel of the FM/FFM model: the raw score (logit) of a
// sparse row, and the request-level form used in serving, where one shopper
// and context are scored against many candidate promotions and everything
// that depends only on the shopper/context is computed once per request.
//
// For a row of features i (field f_i, index, value x_i) the logit is
//
//   bias + sum_i w_i x_i + sum_{i<j} <V[i][f_j], V[j][f_i]> x_i x_j
//
// (FM: <V[i], V[j]>). A feature whose index is >= num_features or whose
// field is >= num_fields contributes nothing: at inference that is a value
// the dictionary does not know, and the original system ignores it too.
//
// The arithmetic runs on AVX2/FMA when the CPU has both (checked once at run
// time) and on portable scalar code otherwise. The two paths sum the same
// terms in different orders, so they agree within a stated tolerance rather
// than bit for bit:
//
//   |logit_avx2 - logit_scalar| <= kKernelTolerance * (1 + M)
//
// where M is the logit computed with the absolute value of every term
// (|bias| + sum |w_i x_i| + sum_{i<j} sum_t |V[i][f_j]_t V[j][f_i]_t x_i x_j|).
// For the usual case (few features, logits of order 1..10, no large
// cancellations) that is 1e-5 relative and 1e-5 absolute on the logit. The
// same bound holds between CandidateScorer and ScoreRow on the joined row.
//
// Thread-safety: ScoreRow and Sigmoid are pure. A CandidateScorer is
// request-scoped state: its const methods may run concurrently, SetContext
// needs exclusive access; the usual pattern is one scorer per worker thread.
// The FfmParams must outlive every scorer built on it and must not change
// shape; concurrent Hogwild writes to the floats are tolerated (the scores
// then reflect some mix of old and new values).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "promorec/model/ffm_params.h"

namespace promorec::model {
namespace internal {
struct Kernels;
}  // namespace internal

// The factor in the agreement bound above.
inline constexpr float kKernelTolerance = 1e-5f;

// One sparse entry of a row.
struct Feature {
  std::uint32_t field = 0;
  std::uint32_t index = 0;
  float value = 1.0f;
};

// Which arithmetic a CandidateScorer uses. kBest is AVX2/FMA when the CPU
// has it; kScalar exists to measure and test the fallback on any machine.
enum class KernelPath : std::uint8_t { kBest = 0, kScalar = 1 };

// The logit of one row (see the formula above). Pairs are summed directly,
// also for FM: rows here hold a handful of features, and summing the same
// terms as FFM keeps one code path and one error bound for both.
float ScoreRow(const FfmParams& params, std::span<const Feature> row);

// 1 / (1 + e^-logit), without overflow for large |logit|.
float Sigmoid(float logit);

// True when the AVX2/FMA path is the active one on this CPU.
bool KernelUsesAvx2();

// Scores many candidates against one shared context. SetContext precomputes
// the context's own logit and, for each field F a candidate feature may
// occupy, W_F[g] = sum over context features j of field g of V[j][F] x_j.
// A candidate feature c of field F then meets the whole context through one
// dot product of length num_fields * k (k for FM):
//
//   sum_g <V[c][g], W_F[g]> x_c,
//
// which for k = 4 and 6 fields is three AVX2 multiply-adds per candidate.
// Score and ScoreMany allocate nothing; SetContext reuses its buffers, so
// once they have grown to the largest context seen it allocates nothing too.
class CandidateScorer {
 public:
  explicit CandidateScorer(const FfmParams& params, KernelPath path = KernelPath::kBest);

  // Scores with `params` from now on, keeping the buffers grown so far: a
  // per-thread scorer is rebound to the model of each request, so that it
  // never holds on to a model between requests. Call SetContext next.
  void Rebind(const FfmParams& params);

  CandidateScorer(const CandidateScorer&) = delete;
  CandidateScorer& operator=(const CandidateScorer&) = delete;
  CandidateScorer(CandidateScorer&&) noexcept = default;
  CandidateScorer& operator=(CandidateScorer&&) noexcept = default;

  // Replaces the context. candidate_fields lists the fields that candidate
  // features will use (offer, maybe merchant); a candidate feature of any
  // other field is still scored correctly, through a slower direct loop over
  // the context. For FM the list is not needed (one vector serves all
  // fields). Unknown features in the context are dropped here.
  // With `instance_normalisation` (as the model was trained: see
  // model::PredictLogit) the pair terms of context + candidate are scaled by
  // 1 / (sum of squared values of the joined row).
  void SetContext(std::span<const Feature> context, std::span<const std::uint32_t> candidate_fields,
                  bool instance_normalisation = false);

  // The logit of context + candidate, including the pairs inside the
  // candidate (usually one or two features: offer, maybe merchant).
  float Score(std::span<const Feature> candidate) const;

  // The common case: candidates of one feature each, all in `field`, with
  // value 1 (one-hot ids). out[i] is the logit of context + indices[i].
  // Callers size out to indices; should they differ, only the first
  // min(indices.size(), out.size()) candidates are scored, so a short
  // buffer is never overrun.
  void ScoreMany(std::uint32_t field, std::span<const std::uint32_t> indices,
                 std::span<float> out) const;

  // The context's own logit, i.e. the score of an empty candidate.
  float context_logit() const { return context_logit_; }
  bool uses_avx2() const { return avx2_; }

 private:
  // The slot of W for a candidate field, or kNoSlot when SetContext did not
  // precompute one (then Score falls back to the direct loop).
  static constexpr std::int32_t kNoSlot = -1;
  std::int32_t SlotOf(std::uint32_t field) const;
  // A candidate feature's interaction with the whole context (without x_c).
  float ContextInteraction(const Feature& c) const;
  void ScaleForOneHotCandidates();

  const FfmParams* params_;
  const internal::Kernels* kernels_;
  bool avx2_;
  float context_logit_ = 0.0f;
  bool normalise_ = false;
  float context_linear_ = 0.0f;  // bias + context linear terms
  float context_pairs_ = 0.0f;   // the context's own pair terms, unscaled
  float context_sq_ = 0.0f;      // the context's sum of squared values
  float one_hot_scale_ = 1.0f;
  std::vector<float> w_many_;                // w_, scaled for one-hot candidates
  std::vector<Feature> context_;             // known context features only
  std::vector<std::int32_t> slot_of_field_;  // num_fields entries
  std::vector<float> w_;                     // slots * latent_stride floats
};

}  // namespace promorec::model
