#include "promorec/trainer/hyper_params.h"

#include <array>
#include <charconv>

namespace promorec::trainer {
namespace {

using T = TrainOptions;

// clang-format off
const std::array kParams = {
    HyperParam{"k", "num_factors", "-k", "latent size", &T::k, true},
    HyperParam{"epochs", "", "--epochs", "most epochs", &T::epochs, false},
    HyperParam{"eta", "factors_lr", "--eta", "AdaGrad learning rate", &T::eta, true},
    HyperParam{"adagrad_init", "", "--adagrad-init",
               "the AdaGrad sum fresh parameters start from (above 1: shorter first steps)",
               &T::adagrad_init, true},
    HyperParam{"lambda", "factors_wd", "--lambda", "L2 regularisation of latent vectors",
               &T::lambda, true},
    HyperParam{"lambda_linear", "linear_wd", "--lambda-linear",
               "L2 regularisation of linear terms", &T::lambda_linear, true},
    HyperParam{"prior", "", "--prior",
               "frequency-aware L2 of latent vectors: an id seen n times gets lambda + "
               "prior / n per example",
               &T::prior_latent, true},
    HyperParam{"prior_linear", "", "--prior-linear", "the same for linear terms",
               &T::prior_linear, true},
    HyperParam{"init_scale", "", "--init-scale",
               "spread of the initial latent values (zero-mean)", &T::init_scale, false},
    HyperParam{"average", "", "!--no-average",
               "after early stopping, do not try the mean of the best epoch and the next",
               &T::average, false},
    HyperParam{"anneal", "", "--anneal",
               "after early stopping, one more pass at the learning rate times this, kept if "
               "the validation loss falls (0: none)",
               &T::anneal, true},
    HyperParam{"anneal_passes", "", "--anneal-passes",
               "up to this many such passes, each at the rate of the one before times the "
               "factor, while the validation loss falls",
               &T::anneal_passes, false},
    HyperParam{"anneal_when", "", "--anneal-when",
               "that pass comes early, once an epoch's validation gain is below this fraction "
               "of the one before (0: only when the validation loss stops falling)",
               &T::anneal_when, true},
    HyperParam{"learn_valid", "", "!--no-learn-valid",
               "after early stopping, do not learn the validation rows too", &T::learn_valid,
               false},
    HyperParam{"valid_rate", "", "--valid-rate",
               "the validation rows are learned at the learning rate times this", &T::valid_rate,
               true},
    HyperParam{"threads", "", "--threads", "training threads", &T::threads, false},
    HyperParam{"seed", "", "--seed", "random seed", &T::seed, true},
    HyperParam{"patience", "", "--patience", "epochs without improvement before stopping",
               &T::patience, false},
    HyperParam{"deterministic", "", "--deterministic", "one thread, bit-identical models",
               &T::deterministic, false},
    HyperParam{"normalise", "", "!--no-norm", "no instance-wise normalisation", &T::normalise,
               false},
};
// clang-format on

template <typename V>
bool ParseNumber(std::string_view text, V* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::span<const HyperParam> HyperParams() { return kParams; }

const HyperParam* FindHyperParam(std::string_view name) {
  for (const HyperParam& p : kParams) {
    if (p.name == name || (!p.alias.empty() && p.alias == name)) return &p;
  }
  return nullptr;
}

base::Status SetHyperParam(const HyperParam& param, std::string_view value, TrainOptions* options) {
  const std::string quoted =
      "hyperparameter " + std::string(param.name) + "='" + std::string(value) + "'";
  return std::visit(
      [&](auto member) -> base::Status {
        auto& field = options->*member;
        using V = std::remove_reference_t<decltype(field)>;
        if constexpr (std::is_same_v<V, bool>) {
          if (value == "true" || value == "True" || value == "1") {
            field = true;
          } else if (value == "false" || value == "False" || value == "0") {
            field = false;
          } else {
            return base::InvalidArgument(quoted + " is not true or false");
          }
        } else if (!ParseNumber(value, &field)) {
          return base::InvalidArgument(quoted + " is not a number");
        }
        return {};
      },
      param.field);
}

std::string HyperParamText(const HyperParam& param, const TrainOptions& options) {
  return std::visit(
      [&](auto member) -> std::string {
        const auto& field = options.*member;
        using V = std::remove_cvref_t<decltype(field)>;
        if constexpr (std::is_same_v<V, bool>) {
          return field ? "1" : "0";
        } else {
          return std::to_string(field);
        }
      },
      param.field);
}

std::map<std::string, std::string> RecordedHyperParams(const TrainOptions& options) {
  std::map<std::string, std::string> out;
  for (const HyperParam& p : kParams) {
    if (p.recorded) out[std::string(p.name)] = HyperParamText(p, options);
  }
  return out;
}

}  // namespace promorec::trainer
