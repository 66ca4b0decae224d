// SgdState's per-thread replicas of its hot features (see sgd_state.h).
#include <algorithm>
#include <cstring>

#include "promorec/base/large_alloc.h"
#include "promorec/trainer/sgd_state.h"

namespace promorec::trainer {
namespace {

// A feature is hot when it is in at least one row in kHotShare; at most
// kMaxHot features are (the most frequent), so that a Sync stays cheap.
constexpr std::size_t kHotShare = 1000;
constexpr std::size_t kMaxHot = 2048;
constexpr std::size_t kBiasFloats = 16;

}  // namespace

void SgdState::EnableReplicas(std::size_t threads, std::size_t rows) {
  replicas_.clear();
  for (const std::uint32_t f : hot_) std::memset(linear(f) + 3, 0, sizeof(float));
  hot_.clear();
  if (threads < 2) return;
  const double least = std::max(1.0, static_cast<double>(rows) / kHotShare);
  std::vector<std::pair<float, std::uint32_t>> frequent;  // (1 / count, feature)
  for (std::uint32_t f = 0; f < shape_.num_features; ++f) {
    const float inverse = linear(f)[2];
    if (inverse > 0 && 1.0 / static_cast<double>(inverse) >= least)
      frequent.push_back({inverse, f});
  }
  std::sort(frequent.begin(), frequent.end());
  if (frequent.size() > kMaxHot) frequent.resize(kMaxHot);
  for (const auto& [inverse, f] : frequent) {
    hot_.push_back(f);
    const std::uint32_t slot = static_cast<std::uint32_t>(hot_.size());
    std::memcpy(linear(f) + 3, &slot, sizeof slot);
  }
  const std::size_t floats = kBiasFloats + hot_.size() * (4 + block_);
  for (std::size_t t = 0; t < threads; ++t) {
    Replica r;
    r.storage.reset(base::AllocateLargeFloats(2 * floats));
    if (!r.storage) {  // without replicas training works as before, only slower
      replicas_.clear();
      return;
    }
    r.floats = floats;
    r.bias = r.storage.get();
    r.linear = r.bias + kBiasFloats;
    r.latent = r.linear + 4 * hot_.size();
    r.base = r.bias + floats;
    replicas_.push_back(std::move(r));
  }
  RefreshReplicas();
}

void SgdState::RefreshReplicas() {
  for (Replica& r : replicas_) {
    r.bias[0] = bias_[0];
    r.bias[1] = bias_[1];
    for (std::size_t s = 0; s < hot_.size(); ++s) {
      std::memcpy(r.linear + 4 * s, linear(hot_[s]), 4 * sizeof(float));
      std::memcpy(r.latent + s * block_, latent_ + static_cast<std::size_t>(hot_[s]) * block_,
                  block_ * sizeof(float));
    }
    std::memcpy(r.base, r.bias, r.floats * sizeof(float));
  }
}

void SgdState::Sync(std::size_t replica) {
  if (replica >= replicas_.size()) return;
  Replica& r = replicas_[replica];
  const std::lock_guard lock(*sync_mutex_);
  // shared += mine - base, then mine = base = shared (w and g alike: the
  // AdaGrad sums add up as they would have in the shared state).
  const auto merge = [](float* shared, float* mine, float* base, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      shared[i] += mine[i] - base[i];
      mine[i] = base[i] = shared[i];
    }
  };
  const std::size_t base_offset = r.floats;
  merge(bias_, r.bias, r.bias + base_offset, 2);
  for (std::size_t s = 0; s < hot_.size(); ++s) {
    float* mine = r.linear + 4 * s;
    merge(linear(hot_[s]), mine, mine + base_offset, 2);
    float* block = r.latent + s * block_;
    merge(latent_ + static_cast<std::size_t>(hot_[s]) * block_, block, block + base_offset, block_);
  }
}

}  // namespace promorec::trainer
