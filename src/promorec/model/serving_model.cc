#include "promorec/model/serving_model.h"

#include "promorec/model/predict.h"

namespace promorec::model {

ServingModel::ServingModel(ModelFile model, std::string version)
    : params_(std::move(model.params)),
      dictionary_(std::move(model.dictionary)),
      loss_(model.loss),
      instance_normalisation_(model.instance_normalisation),
      hyper_(std::move(model.hyper)),
      training_(std::move(model.training)),
      version_(std::move(version)) {}

base::Result<std::shared_ptr<const ServingModel>> ServingModel::Decode(std::string_view bytes) {
  PROMOREC_ASSIGN_OR_RETURN(ModelFile model, DecodeModel(bytes, /*with_training_state=*/false));
  return std::shared_ptr<const ServingModel>(
      new ServingModel(std::move(model), ModelVersion(bytes)));
}

base::Result<std::shared_ptr<const ServingModel>> ServingModel::Load(base::Env& env,
                                                                     const std::string& dir) {
  const std::string path = dir + "/model.bin";
  PROMOREC_ASSIGN_OR_RETURN(const std::string bytes, base::ReadFileToString(env, path));
  auto model = Decode(bytes);
  if (!model) return std::unexpected(model.error().WithContext(path));
  return model;
}

std::shared_ptr<const ServingModel> ServingModel::FromModelFile(ModelFile model) {
  std::string version = ModelVersion(EncodeModel(model, /*with_optimiser=*/false));
  model.optimiser.reset();
  model.counts.clear();
  return std::shared_ptr<const ServingModel>(
      new ServingModel(std::move(model), std::move(version)));
}

float ServingModel::Predict(std::span<const Feature> row, std::vector<Feature>* scratch) const {
  return Serve(PredictLogit(params_, row, instance_normalisation_, scratch));
}

std::size_t ServingModel::ParameterBytes() const {
  return (1 + params_.linear().size() + params_.latent().size()) * sizeof(float);
}

}  // namespace promorec::model
