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
base::Result<ModelFile> DecodeModel(std::string_view bytes);

// meta.json: the header fields, hyper-parameters and training figures as
// one JSON object (values of the key=value sections as strings), for
// people and dashboards; promorec never reads it back.
std::string MetaJson(const ModelFile& model, bool with_optimiser);

// Writes DIR/model.bin atomically, then DIR/headers.csv and DIR/meta.json.
base::Status WriteModel(base::Env& env, const std::string& dir, const ModelFile& model,
                        bool with_optimiser);
base::Result<ModelFile> ReadModel(base::Env& env, const std::string& dir);

}  // namespace promorec::model
