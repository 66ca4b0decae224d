#include "promorec/sim/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace promorec::sim {

std::optional<double> LogLoss(std::span<const double> probs, std::span<const std::uint8_t> labels) {
  if (probs.empty() || probs.size() != labels.size()) return std::nullopt;
  constexpr double kEps = 1e-15;
  double sum = 0;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    const double p = std::clamp(probs[i], kEps, 1.0 - kEps);
    sum -= labels[i] != 0 ? std::log(p) : std::log1p(-p);
  }
  return sum / static_cast<double>(probs.size());
}

std::optional<double> Auc(std::span<const double> scores, std::span<const std::uint8_t> labels) {
  if (scores.size() != labels.size()) return std::nullopt;
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&scores](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Sum of the positives' ranks, each tie group sharing its mean rank.
  double positive_rank_sum = 0;
  std::uint64_t positives = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    std::uint64_t group_positives = 0;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) {
      if (labels[order[j]] != 0) ++group_positives;
      ++j;
    }
    // Ranks i+1 .. j, whose mean is (i + 1 + j) / 2.
    const double mean_rank = (static_cast<double>(i) + 1.0 + static_cast<double>(j)) / 2.0;
    positive_rank_sum += mean_rank * static_cast<double>(group_positives);
    positives += group_positives;
    i = j;
  }
  const std::uint64_t negatives = scores.size() - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  const double pos = static_cast<double>(positives);
  const double u = positive_rank_sum - pos * (pos + 1.0) / 2.0;
  return u / (pos * static_cast<double>(negatives));
}

}  // namespace promorec::sim
