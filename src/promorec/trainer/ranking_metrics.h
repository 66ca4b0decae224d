// Per-user ranking metrics for offline evaluation: rows are grouped by a
// key (the user's feature index), ranked within their group by score, and
// scored against binary labels with MAP@k and NDCG@k, averaged over the
// groups that hold at least one positive (a group without one cannot be
// ranked well or badly). Also the frequency buckets that split logloss and
// AUC by how often a row's user was seen in training.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace promorec::trainer {

struct RankingMetrics {
  double map = 0;   // mean average precision at k
  double ndcg = 0;  // mean normalised discounted cumulative gain at k
  std::size_t groups = 0;
};

// Ties in score rank in row order, so results do not depend on sorting
// details.
RankingMetrics RankByGroup(std::span<const std::uint32_t> group, std::span<const float> scores,
                           std::span<const float> labels, std::size_t k);

// Bucket i holds counts in [kFrequencyBounds[i], kFrequencyBounds[i+1]).
inline constexpr std::uint64_t kFrequencyBounds[] = {0, 1, 10, 100, 1000, UINT64_MAX};
inline constexpr std::size_t kFrequencyBuckets = std::size(kFrequencyBounds) - 1;
std::size_t FrequencyBucket(std::uint64_t count);
// "0", "1-9", "10-99", "100-999", "1000+".
std::string FrequencyBucketName(std::size_t bucket);

}  // namespace promorec::trainer
