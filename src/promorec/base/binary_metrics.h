// Offline metrics of a probabilistic binary classifier, the one definition
// the trainer, `promorec eval` and the generator's oracle figures share:
// logistic loss and the area under the ROC curve. A label is positive when
// it is above 0.5 (1 of 0/1 labels).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace promorec::base {

// Probabilities are taken within [kLogLossEpsilon, 1 - kLogLossEpsilon],
// so that one confident mistake costs -log(1e-7) ~ 16.1 instead of an
// infinite mean. 1e-7 is about the resolution of a float near 1, so float
// and double probabilities are clamped alike.
inline constexpr double kLogLossEpsilon = 1e-7;

// -log p for a positive, -log(1 - p) for a negative, p clamped as above.
double LogisticLoss(double probability, bool positive);

// The mean LogisticLoss; nullopt for no rows or sizes that differ.
std::optional<double> LogLoss(std::span<const float> probabilities, std::span<const float> labels);
std::optional<double> LogLoss(std::span<const double> probabilities,
                              std::span<const std::uint8_t> labels);

// The probability that a random positive scores above a random negative,
// ties counting one half (the Mann-Whitney statistic with mid-ranks);
// nullopt without a positive and a negative, or for sizes that differ.
std::optional<double> Auc(std::span<const float> scores, std::span<const float> labels);
std::optional<double> Auc(std::span<const double> scores, std::span<const std::uint8_t> labels);

}  // namespace promorec::base
