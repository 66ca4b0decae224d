// Offline metrics of a probabilistic classifier: logistic loss and the area
// under the ROC curve. The generator uses them for the oracle's figures; a
// trainer may reuse them.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace promorec::sim {

// Mean negative log-likelihood of the labels (0 or 1) under the
// probabilities, each clipped to [1e-15, 1 - 1e-15] so one confident
// mistake cannot make the mean infinite. Empty input or a size mismatch
// gives nullopt.
std::optional<double> LogLoss(std::span<const double> probs, std::span<const std::uint8_t> labels);

// Probability that a random positive scores above a random negative, ties
// counting one half (the Mann-Whitney statistic with mid-ranks). nullopt
// when there is no positive or no negative, or the sizes differ.
std::optional<double> Auc(std::span<const double> scores, std::span<const std::uint8_t> labels);

}  // namespace promorec::sim
