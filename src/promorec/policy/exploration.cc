#include "promorec/policy/exploration.h"

#include <cmath>
#include <string>

#include "promorec/base/hash.h"
#include "promorec/base/random.h"

namespace promorec::policy {

namespace {

std::size_t Best(std::span<const float> scores) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < scores.size(); ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return best;
}

// exp((s - max) / T) for every score, and their sum.
double SoftmaxWeight(std::span<const float> scores, double temperature, float max, std::size_t i) {
  return std::exp((static_cast<double>(scores[i]) - static_cast<double>(max)) / temperature);
}

double SoftmaxSum(std::span<const float> scores, double temperature, float max) {
  double sum = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) sum += SoftmaxWeight(scores, temperature, max, i);
  return sum;
}

}  // namespace

std::string_view ExplorationKindName(ExplorationKind kind) {
  switch (kind) {
    case ExplorationKind::kGreedy:
      return "greedy";
    case ExplorationKind::kEpsilonGreedy:
      return "epsilon_greedy";
    case ExplorationKind::kSoftmax:
      return "softmax";
  }
  return "unknown";
}

base::Result<ExplorationKind> ParseExplorationKind(std::string_view name) {
  if (name == "greedy") return ExplorationKind::kGreedy;
  if (name == "epsilon_greedy" || name == "epsilon") return ExplorationKind::kEpsilonGreedy;
  if (name == "softmax") return ExplorationKind::kSoftmax;
  return base::InvalidArgument("exploration must be greedy, epsilon_greedy or softmax, got \"" +
                               std::string(name) + "\"");
}

base::Status ExplorationOptions::Validate() const {
  if (!(epsilon >= 0.0 && epsilon <= 1.0)) {
    return base::InvalidArgument("exploration epsilon must be in [0, 1], got " +
                                 std::to_string(epsilon));
  }
  if (!(temperature > 0.0) || !std::isfinite(temperature)) {
    return base::InvalidArgument("softmax temperature must be > 0, got " +
                                 std::to_string(temperature));
  }
  return {};
}

std::uint64_t DecisionSeed(std::string_view event_id, std::uint64_t configured_seed) {
  return base::Hash64(event_id, configured_seed ^ 0x6465636973696F6Eull);
}

Choice Choose(std::span<const float> scores, bool have_model, const ExplorationOptions& options,
              std::uint64_t decision_seed) {
  base::Rng rng(decision_seed);
  const std::size_t n = scores.size();
  const double uniform = 1.0 / static_cast<double>(n);
  if (!have_model) {
    const auto index = static_cast<std::size_t>(rng.Below(n));
    return {index, uniform};
  }
  switch (options.kind) {
    case ExplorationKind::kGreedy:
      return {Best(scores), 1.0};
    case ExplorationKind::kEpsilonGreedy: {
      const std::size_t best = Best(scores);
      // Two draws always, so that the stream of draws does not depend on
      // the branch taken.
      const double explore = rng.Uniform();
      const auto any = static_cast<std::size_t>(rng.Below(n));
      const std::size_t index = explore < options.epsilon ? any : best;
      return {index, ChoiceProbability(scores, true, options, index)};
    }
    case ExplorationKind::kSoftmax: {
      const float max = scores[Best(scores)];
      const double sum = SoftmaxSum(scores, options.temperature, max);
      double target = rng.Uniform() * sum;
      std::size_t index = n - 1;
      for (std::size_t i = 0; i < n; ++i) {
        target -= SoftmaxWeight(scores, options.temperature, max, i);
        if (target < 0) {
          index = i;
          break;
        }
      }
      return {index, SoftmaxWeight(scores, options.temperature, max, index) / sum};
    }
  }
  return {Best(scores), 1.0};
}

double ChoiceProbability(std::span<const float> scores, bool have_model,
                         const ExplorationOptions& options, std::size_t index) {
  const std::size_t n = scores.size();
  const double uniform = 1.0 / static_cast<double>(n);
  if (!have_model) return uniform;
  switch (options.kind) {
    case ExplorationKind::kGreedy:
      return index == Best(scores) ? 1.0 : 0.0;
    case ExplorationKind::kEpsilonGreedy:
      return (index == Best(scores) ? 1.0 - options.epsilon : 0.0) + options.epsilon * uniform;
    case ExplorationKind::kSoftmax: {
      const float max = scores[Best(scores)];
      return SoftmaxWeight(scores, options.temperature, max, index) /
             SoftmaxSum(scores, options.temperature, max);
    }
  }
  return 0.0;
}

}  // namespace promorec::policy
