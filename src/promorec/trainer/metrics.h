// Offline metrics of a regression: root mean squared and mean absolute
// error. Those of a binary classifier are base/binary_metrics.h.
// Thread-safety: pure functions.
#pragma once

#include <span>

namespace promorec::trainer {

// sqrt(mean((p - y)^2)) and mean(|p - y|); 0 for no rows.
double Rmse(std::span<const float> predicted, std::span<const float> labels);
double MeanAbsoluteError(std::span<const float> predicted, std::span<const float> labels);

}  // namespace promorec::trainer
