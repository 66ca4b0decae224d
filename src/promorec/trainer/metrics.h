// Offline metrics of a binary classifier (logistic loss and the area under
// the ROC curve) and of a regression (root mean squared and mean absolute
// error). Thread-safety: pure functions.
#pragma once

#include <span>

namespace promorec::trainer {

// Mean of -(y log p + (1-y) log(1-p)), with p clamped to [1e-7, 1-1e-7].
double LogLoss(std::span<const float> probabilities, std::span<const float> labels);
// AUC by ranking, tied scores sharing their rank; 0.5 when one class is absent.
double Auc(std::span<const float> scores, std::span<const float> labels);
// sqrt(mean((p - y)^2)) and mean(|p - y|); 0 for no rows.
double Rmse(std::span<const float> predicted, std::span<const float> labels);
double MeanAbsoluteError(std::span<const float> predicted, std::span<const float> labels);

}  // namespace promorec::trainer
