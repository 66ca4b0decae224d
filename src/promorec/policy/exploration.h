// Exploration: which of the promotions left after every rule is shown, and
// the exact probability that the policy shows it. That probability is
// logged with the decision, so that training and off-policy evaluation can
// correct for what the policy chose to show (inverse propensity).
//
//   greedy:     the best score (ties: the first in catalogue order), p = 1.
//   epsilon:    with probability 1 - epsilon the best, else one of the n
//               candidates uniformly: p(best) = 1 - epsilon + epsilon / n,
//               p(other) = epsilon / n.
//   softmax:    p(i) = exp((s_i - max s) / T) / sum_j exp((s_j - max s) / T)
//               over the served scores s (probabilities for a logistic
//               model), temperature T > 0.
//   no model:   uniform, p = 1 / n: the cold start the first model learns
//               from.
//
// Randomness is drawn from a seed derived from the event and a configured
// seed (DecisionSeed), so deciding the same event again chooses the same.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::policy {

enum class ExplorationKind : std::uint8_t { kGreedy, kEpsilonGreedy, kSoftmax };

// "greedy", "epsilon_greedy", "softmax".
std::string_view ExplorationKindName(ExplorationKind kind);
[[nodiscard]] base::Result<ExplorationKind> ParseExplorationKind(std::string_view name);

struct ExplorationOptions {
  ExplorationKind kind = ExplorationKind::kEpsilonGreedy;
  double epsilon = 0.05;      // in [0, 1]
  double temperature = 0.05;  // > 0, in units of the served score
  std::uint64_t seed = 0;

  [[nodiscard]] base::Status Validate() const;
};

struct Choice {
  std::size_t index = 0;     // into the scores given
  double probability = 1.0;  // of choosing it, under the policy
};

// The seed of one decision: the event's id mixed with the configured seed.
std::uint64_t DecisionSeed(std::string_view event_id, std::uint64_t configured_seed);

// Chooses among `scores` (at least one). `have_model` false chooses
// uniformly whatever the options say.
Choice Choose(std::span<const float> scores, bool have_model, const ExplorationOptions& options,
              std::uint64_t decision_seed);

// The probability that Choose picks `index` (what Choose reports for it),
// for evaluation and tests.
double ChoiceProbability(std::span<const float> scores, bool have_model,
                         const ExplorationOptions& options, std::size_t index);

}  // namespace promorec::policy
