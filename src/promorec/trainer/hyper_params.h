// The training hyper-parameters, declared once: each one's name (the
// SageMaker hyperparameter and the key in a model's hyper section), its
// command-line flag, its help text, the TrainOptions field it sets, and
// whether a model records it. `promorec train`'s flags, the SageMaker
// hyperparameter mapping and the model file's hyper section are all built
// from this table, so they cannot drift apart.
// Thread-safety: the table is immutable; the functions are pure.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "promorec/base/status.h"
#include "promorec/trainer/ffm_trainer.h"

namespace promorec::trainer {

struct HyperParam {
  using Field =
      std::variant<float TrainOptions::*, int TrainOptions::*, std::uint32_t TrainOptions::*,
                   std::uint64_t TrainOptions::*, bool TrainOptions::*>;
  std::string_view name;   // "eta"
  std::string_view alias;  // SageMaker factorization machines' name, or ""
  // The command-line flag: "--eta"; a boolean that is on by default is
  // turned off by "!--no-..." (CLI11's spelling of a negating flag).
  std::string_view flag;
  std::string_view help;
  Field field;
  bool recorded;  // written to the model's hyper section
};

// Every hyper-parameter, in the order `promorec train --help` lists them.
std::span<const HyperParam> HyperParams();

// The hyper-parameter named `name` or aliased so, or null.
const HyperParam* FindHyperParam(std::string_view name);

// Sets it from text: a number, or for booleans true/True/1 and
// false/False/0. InvalidArgument names the hyper-parameter and the value.
[[nodiscard]] base::Status SetHyperParam(const HyperParam& param, std::string_view value,
                                         TrainOptions* options);

// Its value in `options`, as the model file records it.
std::string HyperParamText(const HyperParam& param, const TrainOptions& options);

// name -> value of every recorded hyper-parameter.
std::map<std::string, std::string> RecordedHyperParams(const TrainOptions& options);

}  // namespace promorec::trainer
