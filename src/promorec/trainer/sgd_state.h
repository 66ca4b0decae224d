// The trainer's working copy of an FM/FFM model: parameters and their
// AdaGrad sums interleaved, so that one update touches one run of memory.
//
//   bias block      w, g (padded to 16 floats)
//   linear block    per feature: w, g, reg_scale, unused  (4 floats)
//   latent block    per feature, per latent field: w[k], g[k]  (2k floats)
//
// reg_scale is 1 / (training occurrences of the feature), the factor of the
// frequency-aware L2 term (see SgdOptions).
//
// Update applies one AdaGrad step of logistic (or squared) loss to a row; Logit is the
// forward pass alone. With k a multiple of 4 both run on SSE (part of every
// x86-64 CPU, so no run-time dispatch is needed); other k use scalar code.
// Thread-safety: several threads may call Update concurrently on one state
// (Hogwild): their writes race on purpose, as lock-free SGD does, and a
// reader may see a mix of old and new floats. Everything else needs
// exclusive access, except Sync, which each thread calls for its own
// replica.
//
// Hot features: the bias and the features in a large share of the rows
// (a dominant country, the hours of the day) are written by nearly every
// update. Under Hogwild the threads would fight over those cache lines on
// every example, which can cost more than the work itself; with replicas
// enabled each thread updates its own copy of them and adds what it
// changed into the shared state every few thousand rows (Sync).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/ffm_params.h"
#include "promorec/trainer/dataset.h"

namespace promorec::trainer {

struct SgdOptions {
  float eta = 0.3f;  // AdaGrad learning rate
  // Per-example L2 of a feature seen n times in the training data:
  // lambda + prior / n. The prior part is frequency-aware regularisation:
  // over an epoch every feature gets about the same total pull towards
  // zero, so rare ids are shrunk hard and frequent ones hardly at all.
  float lambda = 2e-5f;
  float lambda_linear = 0;
  float prior_latent = 0;
  float prior_linear = 0;
  bool normalise = true;  // pair terms scaled by 1 / sum of squared values
  // Squared loss (t - y)^2 / 2 on the raw score t (regression) instead of
  // logistic loss on clicks.
  bool squared = false;
};

// One row as parallel arrays (value null: every value is 1).
struct RowRef {
  const std::uint32_t* index;
  const std::uint16_t* field;
  const float* value;
  std::size_t size;
};

inline RowRef RowOf(const Dataset& data, std::size_t row) {
  return {data.indices(row), data.fields(row), data.values(row), data.row_size(row)};
}

class SgdState {
 public:
  // Parameters from `params`; AdaGrad sums from `optimiser` (the model
  // file's layout: bias, linear, latent) or `initial_sum` when it is empty.
  [[nodiscard]] static base::Result<SgdState> From(const model::FfmParams& params,
                                                   std::span<const float> optimiser,
                                                   float initial_sum = 1.0f);

  SgdState(SgdState&&) noexcept = default;
  SgdState& operator=(SgdState&&) noexcept = default;

  const model::FfmShape& shape() const { return shape_; }
  // Sets every feature's reg_scale to 1 / its count (0 when unseen).
  void SetCounts(std::span<const std::uint32_t> counts);
  void SetCount(std::uint32_t feature, std::uint32_t count) {
    if (feature < shape_.num_features) {
      linear(feature)[2] = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
    }
  }

  // One AdaGrad step on the row, on thread `replica`'s copy of the hot
  // features when replicas are on; returns the row's logloss before it.
  double Update(const RowRef& row, float label, const SgdOptions& options, std::size_t replica = 0);

  // Gives each of `threads` threads its own copy of the bias and of the
  // features seen in at least 1 in kHotShare of `rows` rows (counts from
  // SetCounts, which must come first). No-op for one thread.
  void EnableReplicas(std::size_t threads, std::size_t rows);
  // Adds what thread `replica` changed since its last Sync into the shared
  // state and refreshes its copy. The shared state is complete once every
  // thread has synced.
  void Sync(std::size_t replica);
  std::size_t hot_features() const { return hot_.size(); }
  // The shared bias and its AdaGrad sum (for tests and reports).
  float bias() const { return bias_[0]; }
  float bias_sum() const { return bias_[1]; }
  float Logit(const RowRef& row, bool normalise) const;

  // Back to the model's layout.
  void ExportParams(model::FfmParams* params) const;
  std::vector<float> ExportOptimiser() const;

  // The whole state as one file (a scratch copy, not fsynced) and back;
  // used to keep the best epoch on disk rather than in memory.
  [[nodiscard]] base::Status Save(base::Env& env, const std::string& path) const;
  base::Status Load(base::Env& env, const std::string& path);
  // Moves every float (parameters and AdaGrad sums) `weight` of the way
  // towards its value in the state saved at `path` (0.5: the mean of the
  // two), reading the file a piece at a time rather than whole.
  [[nodiscard]] base::Status AverageWith(base::Env& env, const std::string& path,
                                         float weight = 0.5f);

  // Brings the blocks of `row` towards the cache ahead of use.
  void Prefetch(const RowRef& row) const;

 private:
  struct Free {
    void operator()(float* p) const;
  };
  explicit SgdState(const model::FfmShape& shape);
  float* linear(std::uint32_t f) const { return linear_ + 4 * static_cast<std::size_t>(f); }
  float* latent(std::uint32_t f, std::uint32_t field) const {
    return latent_ + static_cast<std::size_t>(f) * block_ +
           (ffm_ ? static_cast<std::size_t>(field) * 2 * shape_.k : 0);
  }
  bool Known(std::uint32_t index, std::uint32_t field) const {
    return index < shape_.num_features && field < shape_.num_fields;
  }
  // Where one row position's parameters live (shared state or replica).
  // No member initialisers: the per-row arrays of these are filled by
  // Resolve, and zeroing them first would cost a memset every update.
  struct Blocks {
    float* linear;  // null: the feature is unknown
    float* latent;  // the feature's whole latent block
  };
  // One thread's copy of the bias and the hot features: `floats` floats
  // laid out bias (16), linear (4 per hot feature), latent (a block per
  // hot feature), then the same again as of the last Sync.
  struct Replica {
    std::unique_ptr<float, Free> storage;
    std::size_t floats = 0;
    float* bias = nullptr;
    float* linear = nullptr;
    float* latent = nullptr;
    float* base = nullptr;
  };

  float* latent_in(const Blocks& b, std::uint32_t field) const {
    return b.latent + (ffm_ ? static_cast<std::size_t>(field) * 2 * shape_.k : 0);
  }
  // Room for a row's Blocks: `stack` (kMaxCachedRow of them) when the row
  // fits, else a per-thread buffer.
  static Blocks* BlocksFor(std::size_t n, Blocks* stack);
  void Resolve(const RowRef& row, Replica* replica, Blocks* out) const;
  // Copies the shared values of the hot features into every replica.
  void RefreshReplicas();
  template <bool kSse>
  double UpdateImpl(const RowRef& row, float label, const SgdOptions& o, Replica* replica);
  template <bool kSse>
  float LogitImpl(const RowRef& row, const Blocks* blocks, bool normalise) const;

  model::FfmShape shape_;
  bool ffm_ = true;
  std::size_t block_ = 0;  // floats per feature in the latent block
  std::size_t floats_ = 0;
  std::unique_ptr<float, Free> storage_;
  float* bias_ = nullptr;
  float* linear_ = nullptr;
  float* latent_ = nullptr;
  std::vector<std::uint32_t> hot_;  // hot features, by slot
  std::vector<Replica> replicas_;
  std::unique_ptr<std::mutex> sync_mutex_ = std::make_unique<std::mutex>();
};

}  // namespace promorec::trainer
