// model.bin (docs/formats/model.md): a trained model's parameters, feature
// dictionary, hyper-parameters and training record in one checksummed,
// versioned file, written atomically.
// Thread-safety: functions; a ModelFile is a value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/feature_dictionary.h"
#include "promorec/model/ffm_params.h"

namespace promorec::model {

enum class Loss : std::uint8_t { kLogistic = 0, kSquared = 1 };

// What a model serves for a raw score (logit): a click probability for the
// logistic loss, the predicted value itself for the squared loss. Serving,
// prediction and evaluation all map scores through this one function.
float ServedScore(Loss loss, float logit);

struct ModelFile {
  FfmParams params;
  FeatureDictionary dictionary;
  Loss loss = Loss::kLogistic;
  bool instance_normalisation = false;
  // AdaGrad state in the parameters' layout (bias, linear, latent); absent
  // in a serving-only export.
  std::optional<std::vector<float>> optimiser;
  std::map<std::string, std::string> hyper;
  std::map<std::string, std::string> training;
  // How often each feature occurred in the training data (empty: not
  // recorded); evaluation splits its figures by it.
  std::vector<std::uint32_t> counts;
};

// The bytes of model.bin; `with_optimiser` false writes a serving export.
std::string EncodeModel(const ModelFile& model, bool with_optimiser);
// `with_training_state` false leaves the optimiser state and the feature
// counts out (they are checked for presence and size only): what a server
// needs, in about half the memory.
[[nodiscard]] base::Result<ModelFile> DecodeModel(std::string_view bytes,
                                                  bool with_training_state = true);
// The model's version: its stored checksum as 8 hex digits, so that the
// same file always reports the same version and any change shows. Only
// for bytes DecodeModel accepted.
std::string ModelVersion(std::string_view bytes);

// meta.json: the header fields, hyper-parameters and training figures as
// one JSON object (values of the key=value sections as strings), for
// people and dashboards; promorec never reads it back.
std::string MetaJson(const ModelFile& model, bool with_optimiser);

// Writes DIR/model.bin atomically, then DIR/headers.csv and DIR/meta.json.
[[nodiscard]] base::Status WriteModel(base::Env& env, const std::string& dir,
                                      const ModelFile& model, bool with_optimiser);
[[nodiscard]] base::Result<ModelFile> ReadModel(base::Env& env, const std::string& dir);

}  // namespace promorec::model
