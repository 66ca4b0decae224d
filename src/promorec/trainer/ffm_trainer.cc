#include "promorec/trainer/ffm_trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <thread>

#include "promorec/model/ffm_kernel.h"
#include "promorec/model/predict.h"

namespace promorec::trainer {
namespace {

// Hogwild threads update shared floats without locks. Relaxed atomic
// accesses compile to plain loads and stores on x86 but keep the races
// defined behaviour.
inline float Load(float* p) { return std::atomic_ref<float>(*p).load(std::memory_order_relaxed); }
inline void Store(float* p, float v) {
  std::atomic_ref<float>(*p).store(v, std::memory_order_relaxed);
}

// One AdaGrad step on a coordinate with gradient g.
inline void Step(float* w, float* g_sum, float g, float eta) {
  const float g2 = Load(g_sum) + g * g;
  Store(g_sum, g2);
  Store(w, Load(w) - eta * g / std::sqrt(g2));
}

// The parameter arrays and their AdaGrad sums, as raw pointers.
struct Arrays {
  float* bias;
  float* linear;
  float* latent;
  float* g_bias;
  float* g_linear;
  float* g_latent;
  std::uint32_t num_features;
  std::uint32_t num_fields;
  std::uint32_t k;
  bool ffm;
  std::size_t stride;
  float* V(std::uint32_t feature, std::uint32_t field) const {
    return latent + feature * stride + (ffm ? field * k : 0);
  }
  float* GV(std::uint32_t feature, std::uint32_t field) const {
    return g_latent + feature * stride + (ffm ? field * k : 0);
  }
};

bool Known(const Arrays& a, const model::Feature& f) {
  return f.index < a.num_features && f.field < a.num_fields;
}

// Forward and backward pass over one row; returns its logloss.
double TrainRow(const Arrays& a, std::span<const model::Feature> row, float label,
                const TrainOptions& o) {
  float norm = 1;
  if (o.normalise) {
    float sum = 0;
    for (const auto& f : row) sum += f.value * f.value;
    if (sum > 0) norm = 1 / sum;
  }
  float t = Load(a.bias);
  for (const auto& f : row) {
    if (Known(a, f)) t += Load(a.linear + f.index) * f.value;
  }
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (!Known(a, row[i])) continue;
    for (std::size_t j = i + 1; j < row.size(); ++j) {
      if (!Known(a, row[j])) continue;
      float* v1 = a.V(row[i].index, row[j].field);
      float* v2 = a.V(row[j].index, row[i].field);
      float dot = 0;
      for (std::uint32_t d = 0; d < a.k; ++d) dot += Load(v1 + d) * Load(v2 + d);
      t += dot * row[i].value * row[j].value * norm;
    }
  }
  const float y = label > 0.5f ? 1.0f : -1.0f;
  const float expnyt = std::exp(-y * t);
  const float kappa = -y * expnyt / (1 + expnyt);
  Step(a.bias, a.g_bias, kappa, o.eta);
  for (const auto& f : row) {
    if (!Known(a, f)) continue;
    float* w = a.linear + f.index;
    Step(w, a.g_linear + f.index, kappa * f.value + o.lambda_linear * Load(w), o.eta);
  }
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (!Known(a, row[i])) continue;
    for (std::size_t j = i + 1; j < row.size(); ++j) {
      if (!Known(a, row[j])) continue;
      float* v1 = a.V(row[i].index, row[j].field);
      float* v2 = a.V(row[j].index, row[i].field);
      float* g1 = a.GV(row[i].index, row[j].field);
      float* g2 = a.GV(row[j].index, row[i].field);
      const float xx = kappa * row[i].value * row[j].value * norm;
      for (std::uint32_t d = 0; d < a.k; ++d) {
        const float w1 = Load(v1 + d);
        const float w2 = Load(v2 + d);
        Step(v1 + d, g1 + d, o.lambda * w1 + xx * w2, o.eta);
        Step(v2 + d, g2 + d, o.lambda * w2 + xx * w1, o.eta);
      }
    }
  }
  return std::log1p(static_cast<double>(expnyt));
}

base::Status SaveSnapshot(base::Env& env, const std::string& path, const model::FfmParams& params) {
  std::string bytes;
  const float bias = params.bias();
  bytes.append(reinterpret_cast<const char*>(&bias), sizeof(float));
  bytes.append(reinterpret_cast<const char*>(params.linear().data()), params.linear().size_bytes());
  bytes.append(reinterpret_cast<const char*>(params.latent().data()), params.latent().size_bytes());
  return base::WriteFileAtomically(env, path, bytes);
}

base::Status LoadSnapshot(base::Env& env, const std::string& path, model::FfmParams* params) {
  PROMOREC_ASSIGN_OR_RETURN(const std::string bytes, base::ReadFileToString(env, path));
  const std::size_t need =
      sizeof(float) + params->linear().size_bytes() + params->latent().size_bytes();
  if (bytes.size() != need) return base::Corruption("snapshot " + path + " has the wrong size");
  std::memcpy(&params->bias(), bytes.data(), sizeof(float));
  std::memcpy(params->linear().data(), bytes.data() + sizeof(float), params->linear().size_bytes());
  std::memcpy(params->latent().data(), bytes.data() + sizeof(float) + params->linear().size_bytes(),
              params->latent().size_bytes());
  return {};
}

}  // namespace

double EvaluateLogLoss(const model::FfmParams& params, const Dataset& data, bool normalise) {
  double total = 0;
  std::vector<model::Feature> scratch;
  for (std::size_t i = 0; i < data.rows(); ++i) {
    const double p = std::clamp(
        static_cast<double>(model::PredictProbability(params, data.row(i), normalise, &scratch)),
        1e-7, 1 - 1e-7);
    total -= data.label(i) > 0.5f ? std::log(p) : std::log(1 - p);
  }
  return data.rows() == 0 ? 0 : total / static_cast<double>(data.rows());
}

base::Result<TrainResult> Train(base::Env& env, const Dataset& train, const Dataset* valid,
                                std::uint32_t num_features, std::uint32_t num_fields,
                                const TrainOptions& options, const EpochCallback& on_epoch,
                                const model::FfmParams* start,
                                const std::vector<float>* start_optimiser) {
  if (options.epochs < 1) return base::InvalidArgument("epochs must be at least 1");
  if (options.threads < 1) return base::InvalidArgument("threads must be at least 1");
  if (!(options.eta > 0)) return base::InvalidArgument("learning rate must be above 0");
  if (!(options.lambda >= 0)) return base::InvalidArgument("lambda must be 0 or more");
  const model::FfmShape shape{options.type, std::max(num_features, train.num_features()),
                              std::max(num_fields, train.num_fields()), options.k};
  auto created = start != nullptr
                     ? model::FfmParams::Zeros(shape)
                     : model::FfmParams::Create(shape, options.seed,
                                                1.0f / std::sqrt(static_cast<float>(shape.k)));
  if (!created) return std::unexpected(created.error());
  TrainResult result{std::move(*created), {}, 0, {}};
  model::FfmParams& params = result.params;
  const std::size_t floats = 1 + params.linear().size() + params.latent().size();
  if (start != nullptr) {
    if (!(start->shape() == shape)) {
      return base::InvalidArgument("warm start: the earlier model's shape differs");
    }
    params.bias() = start->bias();
    std::copy(start->linear().begin(), start->linear().end(), params.linear().begin());
    std::copy(start->latent().begin(), start->latent().end(), params.latent().begin());
  }
  if (start_optimiser != nullptr && start_optimiser->size() == floats) {
    result.optimiser = *start_optimiser;
  } else {
    result.optimiser.assign(floats, 1.0f);
  }
  Arrays arrays{&params.bias(),
                params.linear().data(),
                params.latent().data(),
                result.optimiser.data(),
                result.optimiser.data() + 1,
                result.optimiser.data() + 1 + params.linear().size(),
                shape.num_features,
                shape.num_fields,
                shape.k,
                shape.type == model::ModelType::kFfm,
                shape.latent_stride()};

  std::vector<std::size_t> order(train.rows());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  const int threads = options.deterministic ? 1 : options.threads;
  const bool early = valid != nullptr && valid->rows() > 0 && options.patience > 0;
  if (early && options.snapshot_path.empty()) {
    return base::InvalidArgument("early stopping needs a snapshot path");
  }
  double best = 0;
  int since_best = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const auto started = std::chrono::steady_clock::now();
    std::vector<double> losses(static_cast<std::size_t>(threads), 0.0);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        const std::size_t begin =
            order.size() * static_cast<std::size_t>(t) / static_cast<std::size_t>(threads);
        const std::size_t end =
            order.size() * static_cast<std::size_t>(t + 1) / static_cast<std::size_t>(threads);
        double loss = 0;
        for (std::size_t i = begin; i < end; ++i) {
          loss += TrainRow(arrays, train.row(order[i]), train.label(order[i]), options);
        }
        losses[static_cast<std::size_t>(t)] = loss;
      });
    }
    for (auto& w : workers) w.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EpochReport report;
    report.epoch = epoch;
    report.train_logloss = std::accumulate(losses.begin(), losses.end(), 0.0) /
                           static_cast<double>(std::max<std::size_t>(1, train.rows()));
    report.examples_per_second = seconds > 0 ? static_cast<double>(train.rows()) / seconds : 0;
    if (valid != nullptr && valid->rows() > 0)
      report.valid_logloss = EvaluateLogLoss(params, *valid, options.normalise);
    result.epochs.push_back(report);
    if (on_epoch) on_epoch(report);
    if (!early) {
      result.best_epoch = epoch;
      continue;
    }
    if (result.best_epoch == 0 || *report.valid_logloss < best) {
      best = *report.valid_logloss;
      result.best_epoch = epoch;
      since_best = 0;
      PROMOREC_RETURN_IF_ERROR(SaveSnapshot(env, options.snapshot_path, params));
    } else if (++since_best >= options.patience) {
      break;
    }
  }
  if (early && result.best_epoch != result.epochs.back().epoch) {
    PROMOREC_RETURN_IF_ERROR(LoadSnapshot(env, options.snapshot_path, &params));
  }
  if (early) (void)env.RemoveFile(options.snapshot_path);
  return result;
}

}  // namespace promorec::trainer
