#include "promorec/trainer/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace promorec::trainer {

double LogLoss(std::span<const float> probabilities, std::span<const float> labels) {
  if (probabilities.empty()) return 0;
  double total = 0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double p = std::clamp(static_cast<double>(probabilities[i]), 1e-7, 1 - 1e-7);
    total -= labels[i] > 0.5f ? std::log(p) : std::log(1 - p);
  }
  return total / static_cast<double>(probabilities.size());
}

double Rmse(std::span<const float> predicted, std::span<const float> labels) {
  if (predicted.empty()) return 0;
  double total = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const double d = static_cast<double>(predicted[i]) - static_cast<double>(labels[i]);
    total += d * d;
  }
  return std::sqrt(total / static_cast<double>(predicted.size()));
}

double MeanAbsoluteError(std::span<const float> predicted, std::span<const float> labels) {
  if (predicted.empty()) return 0;
  double total = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    total += std::fabs(static_cast<double>(predicted[i]) - static_cast<double>(labels[i]));
  }
  return total / static_cast<double>(predicted.size());
}

double Auc(std::span<const float> scores, std::span<const float> labels) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positives = 0;
  double rank_sum = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    // Ranks i+1 .. j share their mean.
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t t = i; t < j; ++t) {
      if (labels[order[t]] > 0.5f) {
        positives += 1;
        rank_sum += mean_rank;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace promorec::trainer
