#include "promorec/base/binary_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace promorec::base {
namespace {

bool Positive(float label) { return label > 0.5f; }
bool Positive(std::uint8_t label) { return label != 0; }

template <typename P, typename L>
std::optional<double> MeanLogLoss(std::span<const P> probabilities, std::span<const L> labels) {
  if (probabilities.empty() || probabilities.size() != labels.size()) return std::nullopt;
  double total = 0;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    total += LogisticLoss(static_cast<double>(probabilities[i]), Positive(labels[i]));
  }
  return total / static_cast<double>(probabilities.size());
}

template <typename S, typename L>
std::optional<double> RankAuc(std::span<const S> scores, std::span<const L> labels) {
  if (scores.size() != labels.size()) return std::nullopt;
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&scores](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // The positives' ranks summed, each tie group sharing its mean rank.
  double positive_rank_sum = 0;
  std::uint64_t positives = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    std::uint64_t group_positives = 0;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) {
      if (Positive(labels[order[j]])) ++group_positives;
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

}  // namespace

double LogisticLoss(double probability, bool positive) {
  const double p = std::clamp(probability, kLogLossEpsilon, 1.0 - kLogLossEpsilon);
  return positive ? -std::log(p) : -std::log1p(-p);
}

std::optional<double> LogLoss(std::span<const float> probabilities, std::span<const float> labels) {
  return MeanLogLoss(probabilities, labels);
}

std::optional<double> LogLoss(std::span<const double> probabilities,
                              std::span<const std::uint8_t> labels) {
  return MeanLogLoss(probabilities, labels);
}

std::optional<double> Auc(std::span<const float> scores, std::span<const float> labels) {
  return RankAuc(scores, labels);
}

std::optional<double> Auc(std::span<const double> scores, std::span<const std::uint8_t> labels) {
  return RankAuc(scores, labels);
}

}  // namespace promorec::base
