#include "promorec/trainer/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace promorec::trainer {

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

}  // namespace promorec::trainer
