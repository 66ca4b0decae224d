#include "promorec/trainer/ranking_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace promorec::trainer {

RankingMetrics RankByGroup(std::span<const std::uint32_t> group, std::span<const float> scores,
                           std::span<const float> labels, std::size_t k) {
  const std::size_t n = std::min({group.size(), scores.size(), labels.size()});
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (group[a] != group[b]) return group[a] < group[b];
    if (scores[a] != scores[b]) return scores[a] > scores[b];
    return a < b;
  });
  RankingMetrics out;
  double map_sum = 0, ndcg_sum = 0;
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin;
    std::size_t positives = 0;
    while (end < n && group[order[end]] == group[order[begin]]) {
      if (labels[order[end]] > 0.5f) ++positives;
      ++end;
    }
    if (positives > 0 && k > 0) {
      double hits = 0, precision_sum = 0, dcg = 0, ideal = 0;
      for (std::size_t r = 0; r < std::min(k, end - begin); ++r) {
        const double discount = 1.0 / std::log2(static_cast<double>(r) + 2.0);
        if (labels[order[begin + r]] > 0.5f) {
          hits += 1;
          precision_sum += hits / static_cast<double>(r + 1);
          dcg += discount;
        }
        if (r < positives) ideal += discount;
      }
      map_sum += precision_sum / static_cast<double>(std::min(k, positives));
      ndcg_sum += dcg / ideal;
      ++out.groups;
    }
    begin = end;
  }
  if (out.groups > 0) {
    out.map = map_sum / static_cast<double>(out.groups);
    out.ndcg = ndcg_sum / static_cast<double>(out.groups);
  }
  return out;
}

std::size_t FrequencyBucket(std::uint64_t count) {
  std::size_t b = 0;
  while (b + 1 < kFrequencyBuckets && count >= kFrequencyBounds[b + 1]) ++b;
  return b;
}

std::string FrequencyBucketName(std::size_t bucket) {
  const std::uint64_t low = kFrequencyBounds[bucket];
  const std::uint64_t high = kFrequencyBounds[bucket + 1];
  if (high == UINT64_MAX) return std::to_string(low) + "+";
  if (high == low + 1) return std::to_string(low);
  return std::to_string(low) + "-" + std::to_string(high - 1);
}

}  // namespace promorec::trainer
