// The model as a server holds it: parameters, feature dictionary, loss,
// the hyper-parameters and training record it came with, and its version
// (the stored checksum of its model.bin). The optimiser state and the
// feature counts stay with training (model_file.h); a server never loads
// them, so it holds about half of what a training checkpoint does.
//
// A ServingModel is immutable once built and shared as
// std::shared_ptr<const ServingModel>. ServingModelHandle is the one place
// a server keeps the model in service: each request takes the current model
// from it once and keeps it for that request only, so a new model can be
// swapped in at any time and an old one is freed once the last request
// using it ends.
//
// Thread-safety: a ServingModel is read-only and safe to share. A
// ServingModelHandle may be read and set from many threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/feature_dictionary.h"
#include "promorec/model/ffm_kernel.h"
#include "promorec/model/ffm_params.h"
#include "promorec/model/model_file.h"

namespace promorec::model {

class ServingModel {
 public:
  // Reads DIR/model.bin, leaving out what only training needs. Errors
  // name the file.
  [[nodiscard]] static base::Result<std::shared_ptr<const ServingModel>> Load(
      base::Env& env, const std::string& dir);
  // From model.bin's bytes.
  [[nodiscard]] static base::Result<std::shared_ptr<const ServingModel>> Decode(
      std::string_view bytes);
  // From a model in memory (a model just trained, a test); its version is
  // that of its serving export.
  static std::shared_ptr<const ServingModel> FromModelFile(ModelFile model);

  const FfmParams& params() const { return params_; }
  const FeatureDictionary& dictionary() const { return dictionary_; }
  Loss loss() const { return loss_; }
  bool instance_normalisation() const { return instance_normalisation_; }
  const std::map<std::string, std::string>& hyper() const { return hyper_; }
  const std::map<std::string, std::string>& training() const { return training_; }
  // 8 hex digits (ModelVersion).
  const std::string& version() const { return version_; }

  // What is served for a raw score (ServedScore).
  float Serve(float logit) const { return ServedScore(loss_, logit); }
  // The served score of a whole row (model::PredictLogit, then Serve).
  float Predict(std::span<const Feature> row, std::vector<Feature>* scratch) const;

  // Bytes of the parameters (bias, linear and latent terms).
  std::size_t ParameterBytes() const;

 private:
  ServingModel(ModelFile model, std::string version);

  FfmParams params_;
  FeatureDictionary dictionary_;
  Loss loss_;
  bool instance_normalisation_;
  std::map<std::string, std::string> hyper_;
  std::map<std::string, std::string> training_;
  std::string version_;
};

// The model in service: null until one is set.
class ServingModelHandle {
 public:
  ServingModelHandle() = default;
  explicit ServingModelHandle(std::shared_ptr<const ServingModel> model)
      : model_(std::move(model)) {}

  std::shared_ptr<const ServingModel> Get() const { return model_.load(std::memory_order_acquire); }
  void Set(std::shared_ptr<const ServingModel> model) {
    model_.store(std::move(model), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const ServingModel>> model_;
};

}  // namespace promorec::model
