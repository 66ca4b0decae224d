// What a reader derives from the model in service, built once per model: a
// request decoder, each promotion's feature index. Current() takes the model
// in service from the handle and returns it with its value, building the
// value when a new model has been swapped in since the last call. The result
// holds the model, so a caller uses one model throughout; the last model
// seen is held until the next call after a swap.
//
// Thread-safety: Current may run on many threads at once while the handle
// is swapped. Calls that race on a new model may each build its value; the
// last one stored is kept, and each caller uses its own.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "promorec/model/serving_model.h"

namespace promorec::model {

template <typename T>
class PerModel {
 public:
  struct Bound {
    std::shared_ptr<const ServingModel> model;
    T value;
  };
  using Build = std::function<T(const ServingModel&)>;

  // `models` must outlive this.
  PerModel(const ServingModelHandle& models, Build build)
      : models_(models), build_(std::move(build)) {}

  // The model in service and its value; null when no model is in service.
  std::shared_ptr<const Bound> Current() const {
    std::shared_ptr<const ServingModel> model = models_.Get();
    if (!model) return nullptr;
    std::shared_ptr<const Bound> bound = bound_.load(std::memory_order_acquire);
    if (bound && bound->model == model) return bound;
    T value = build_(*model);
    bound = std::make_shared<const Bound>(Bound{std::move(model), std::move(value)});
    bound_.store(bound, std::memory_order_release);
    return bound;
  }

 private:
  const ServingModelHandle& models_;
  const Build build_;
  mutable std::atomic<std::shared_ptr<const Bound>> bound_;
};

}  // namespace promorec::model
