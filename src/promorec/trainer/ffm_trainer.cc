#include "promorec/trainer/ffm_trainer.h"
#include "promorec/base/binary_metrics.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>
#include <utility>

#include "promorec/base/random.h"
#include "promorec/model/predict.h"
#include "promorec/trainer/sgd_state.h"

namespace promorec::trainer {
namespace {

// How many rows ahead a worker prefetches: the row's offset, then the
// row's features and label, then the parameter blocks they name.
constexpr std::size_t kPrefetchOffset = 16;
constexpr std::size_t kPrefetchRow = 8;
constexpr std::size_t kPrefetchParams = 4;

// Runs body(thread, begin, end) over [0, n) split into `threads` parts.
template <typename Body>
void Parallel(int threads, std::size_t n, const Body& body) {
  const auto t_count = static_cast<std::size_t>(std::max(1, threads));
  if (t_count == 1) {
    body(std::size_t{0}, std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < t_count; ++t) {
    workers.emplace_back([&, t] { body(t, n * t / t_count, n * (t + 1) / t_count); });
  }
  for (auto& w : workers) w.join();
}

double Loss(float logit, float label) {
  return base::LogisticLoss(static_cast<double>(model::Sigmoid(logit)), label > 0.5f);
}

double SquaredError(float score, float label) {
  const double d = static_cast<double>(score) - static_cast<double>(label);
  return d * d;
}

// Mean of loss(logit(i, row scratch, kernel scratch), label) over `data`,
// the rows split among `threads`.
template <typename LogitOf>
double MeanLoss(const Dataset& data, int threads, bool squared, const LogitOf& logit) {
  std::vector<double> sums(static_cast<std::size_t>(std::max(1, threads)), 0.0);
  Parallel(threads, data.rows(), [&](std::size_t t, std::size_t begin, std::size_t end) {
    std::vector<model::Feature> row, scratch;
    double sum = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const float score = logit(i, &row, &scratch);
      sum += squared ? SquaredError(score, data.label(i)) : Loss(score, data.label(i));
    }
    sums[t] = sum;
  });
  return data.rows() == 0
             ? 0
             : std::accumulate(sums.begin(), sums.end(), 0.0) / static_cast<double>(data.rows());
}

double StateLoss(const SgdState& state, const Dataset& data, const SgdOptions& sgd, int threads) {
  return MeanLoss(data, threads, sgd.squared,
                  [&](std::size_t i, std::vector<model::Feature>*, std::vector<model::Feature>*) {
                    // The parameters of a row a few ahead, so that their cache misses
                    // overlap this row's work (rows of one thread's part go in order).
                    if (i + kPrefetchParams < data.rows())
                      state.Prefetch(RowOf(data, i + kPrefetchParams));
                    return state.Logit(RowOf(data, i), sgd.normalise);
                  });
}

// A chunk of rows copied out of the data set in pass order, so that the
// updates read them front to back. The copy loop has no dependence from
// one row to the next, so the processor overlaps the cache misses of many
// rows at once; the update loop would otherwise wait for them one by one.
struct Chunk {
  std::vector<std::uint32_t> indices;
  std::vector<std::uint16_t> fields;
  std::vector<float> values;  // empty while every value is 1
  std::vector<std::size_t> offsets;
  std::vector<float> labels;

  void Gather(const Dataset& data, const std::uint32_t* rows, std::size_t n) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kPrefetchOffset < n) data.PrefetchOffset(rows[i + kPrefetchOffset]);
      total += data.row_size(rows[i]);
    }
    const bool with_values = !data.all_ones();
    indices.resize(total);
    fields.resize(total);
    values.resize(with_values ? total : 0);
    offsets.resize(n + 1);
    labels.resize(n);
    // Rows are a few features long: plain loops beat a library call each.
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kPrefetchRow < n) data.PrefetchRow(rows[i + kPrefetchRow]);
      const std::uint32_t r = rows[i];
      const std::size_t size = data.row_size(r);
      const std::uint32_t* index = data.indices(r);
      const std::uint16_t* field = data.fields(r);
      offsets[i] = at;
      for (std::size_t j = 0; j < size; ++j) {
        indices[at + j] = index[j];
        fields[at + j] = field[j];
      }
      if (with_values) {
        const float* value = data.values(r);
        for (std::size_t j = 0; j < size; ++j) values[at + j] = value[j];
      }
      at += size;
      labels[i] = data.label(r);
    }
    offsets[n] = at;
  }
  RowRef Row(std::size_t i) const {
    const std::size_t at = offsets[i];
    return {indices.data() + at, fields.data() + at, values.empty() ? nullptr : values.data() + at,
            offsets[i + 1] - at};
  }
};

// One pass over `order` (indices into data). Threads take chunks of it
// from a shared cursor rather than fixed halves, so that a thread slowed
// down (a busy core on a shared machine) does less of the pass instead of
// holding up the end of the epoch.
double Pass(SgdState& state, const Dataset& data, const std::vector<std::uint32_t>& order,
            int threads, const SgdOptions& sgd) {
  constexpr std::size_t kChunk = 2048;
  std::atomic<std::size_t> cursor{0};
  std::vector<double> losses(static_cast<std::size_t>(std::max(1, threads)), 0.0);
  Parallel(threads, static_cast<std::size_t>(std::max(1, threads)),
           [&](std::size_t t, std::size_t, std::size_t) {
             double loss = 0;
             Chunk chunk;
             while (true) {
               const std::size_t begin = cursor.fetch_add(kChunk, std::memory_order_relaxed);
               if (begin >= order.size()) break;
               const std::size_t n = std::min(order.size(), begin + kChunk) - begin;
               chunk.Gather(data, order.data() + begin, n);
               for (std::size_t i = 0; i < n; ++i) {
                 if (i + kPrefetchParams < n) state.Prefetch(chunk.Row(i + kPrefetchParams));
                 loss += state.Update(chunk.Row(i), chunk.labels[i], sgd, t);
               }
               state.Sync(t);
             }
             losses[t] = loss;
           });
  return std::accumulate(losses.begin(), losses.end(), 0.0);
}

// Pass, timed: the report's mean training loss and examples/s.
EpochReport TimedPass(SgdState& state, const Dataset& data, const std::vector<std::uint32_t>& order,
                      int threads, const SgdOptions& sgd) {
  const auto started = std::chrono::steady_clock::now();
  const double loss = Pass(state, data, order, threads, sgd);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EpochReport report;
  report.train_loss = loss / static_cast<double>(std::max<std::size_t>(1, data.rows()));
  report.examples_per_second = seconds > 0 ? static_cast<double>(data.rows()) / seconds : 0;
  return report;
}

// A uniformly random order of 0..n-1 (Fisher-Yates).
std::vector<std::uint32_t> Shuffled(std::size_t n, base::Rng& rng) {
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
  return order;
}

}  // namespace

double EvaluateLogLoss(const model::FfmParams& params, const Dataset& data, bool normalise,
                       int threads) {
  return MeanLoss(
      data, threads, false,
      [&](std::size_t i, std::vector<model::Feature>* row, std::vector<model::Feature>* scratch) {
        return model::PredictLogit(params, data.Row(i, row), normalise, scratch);
      });
}

base::Result<TrainResult> Train(base::Env& env, const Dataset& train, const Dataset* valid,
                                std::uint32_t num_features, std::uint32_t num_fields,
                                const TrainOptions& options, const EpochCallback& on_epoch,
                                const model::FfmParams* start,
                                const std::vector<float>* start_optimiser) {
  if (options.epochs < 1) return base::InvalidArgument("epochs must be at least 1");
  if (options.threads < 1) return base::InvalidArgument("threads must be at least 1");
  if (!(options.eta > 0)) return base::InvalidArgument("learning rate must be above 0");
  if (!(options.adagrad_init > 0) || !std::isfinite(options.adagrad_init)) {
    return base::InvalidArgument("the initial AdaGrad sum must be above 0");
  }
  if (!(options.anneal >= 0 && options.anneal <= 1) ||
      !(options.anneal_when >= 0 && options.anneal_when <= 1) ||
      !(options.valid_rate > 0 && options.valid_rate <= 1)) {
    return base::InvalidArgument(
        "the annealing factors must be in [0, 1], the validation rows' rate factor in (0, 1]");
  }
  if (options.anneal_passes < 0) return base::InvalidArgument("annealing passes must be 0 or more");
  if (!(options.lambda >= 0) || !(options.lambda_linear >= 0) || !(options.prior_latent >= 0) ||
      !(options.prior_linear >= 0)) {
    return base::InvalidArgument("regularisation must be 0 or more");
  }
  if (train.rows() > UINT32_MAX) return base::InvalidArgument("more than 2^32 training rows");
  const model::FfmShape shape{options.type, std::max(num_features, train.num_features()),
                              std::max(num_fields, train.num_fields()), options.k};
  const float init =
      options.init_scale > 0 ? options.init_scale : 1.0f / std::sqrt(static_cast<float>(shape.k));
  auto created = model::FfmParams::Create(shape, options.seed, init);
  if (!created) return std::unexpected(created.error());
  for (float& v : created->latent()) v -= init / 2;
  TrainResult result{std::move(*created), {}, 0, {}, {}, {}, train.FeatureCounts()};
  model::FfmParams& params = result.params;
  // A warm start copies the earlier model's features; features new since
  // then (a grown dictionary) keep their fresh initial values.
  std::vector<float> optimiser;
  if (start != nullptr) {
    const model::FfmShape& old = start->shape();
    if (old.type != shape.type || old.num_fields != shape.num_fields || old.k != shape.k ||
        old.num_features > shape.num_features) {
      return base::InvalidArgument(
          "warm start: the earlier model's type, fields or k differ, or it has more features");
    }
    params.bias() = start->bias();
    std::copy(start->linear().begin(), start->linear().end(), params.linear().begin());
    std::copy(start->latent().begin(), start->latent().end(), params.latent().begin());
    const std::size_t old_floats = 1 + start->linear().size() + start->latent().size();
    if (start_optimiser != nullptr && start_optimiser->size() == old_floats) {
      optimiser.assign(1 + params.linear().size() + params.latent().size(), options.adagrad_init);
      const auto from = start_optimiser->begin();
      const auto n0 = static_cast<std::ptrdiff_t>(old.num_features);
      std::copy(from, from + 1 + n0, optimiser.begin());
      std::copy(from + 1 + n0, start_optimiser->end(),
                optimiser.begin() + 1 + static_cast<std::ptrdiff_t>(shape.num_features));
    }
  }
  PROMOREC_ASSIGN_OR_RETURN(SgdState state,
                            SgdState::From(params, optimiser, options.adagrad_init));
  state.SetCounts(result.counts);
  const SgdOptions sgd{options.eta,
                       options.lambda,
                       options.lambda_linear,
                       options.prior_latent,
                       options.prior_linear,
                       options.normalise,
                       options.loss == model::Loss::kSquared};

  base::Rng rng(options.seed);
  const int threads = options.deterministic ? 1 : options.threads;
  state.EnableReplicas(static_cast<std::size_t>(threads), train.rows());
  const bool early = valid != nullptr && valid->rows() > 0 && options.patience > 0;
  if (early && options.snapshot_path.empty()) {
    return base::InvalidArgument("early stopping needs a snapshot path");
  }
  double best = 0;
  int since_best = 0;
  // The validation loss the last better epoch gained over the one before.
  std::optional<double> last_gain;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    EpochReport report = TimedPass(state, train, Shuffled(train.rows(), rng), threads, sgd);
    report.epoch = epoch;
    if (valid != nullptr && valid->rows() > 0) {
      report.valid_loss = StateLoss(state, *valid, sgd, options.threads);
    }
    result.epochs.push_back(report);
    if (on_epoch) on_epoch(report);
    if (!early) {
      result.best_epoch = epoch;
      continue;
    }
    if (result.best_epoch == 0 || *report.valid_loss < best) {
      const std::optional<double> gain =
          result.best_epoch == 0 ? std::nullopt : std::optional(best - *report.valid_loss);
      best = *report.valid_loss;
      result.best_epoch = epoch;
      since_best = 0;
      // Gains shrinking fast mean the full rate is circling the optimum:
      // the pass at the smaller rate gets nearer sooner than more epochs.
      if (options.anneal > 0 && options.anneal_passes > 0 && gain && last_gain &&
          *gain < static_cast<double>(options.anneal_when) * *last_gain) {
        break;
      }
      last_gain = gain;
      if (epoch < options.epochs) {
        PROMOREC_RETURN_IF_ERROR(state.Save(env, options.snapshot_path));
      }
    } else if (++since_best >= options.patience) {
      break;
    }
  }
  // Whether the snapshot file holds the parameters as they are now.
  bool in_snapshot = false;
  if (early && result.best_epoch != result.epochs.back().epoch) {
    // The epoch after the best one went a little too far; the mean of the
    // two often beats both (iterate averaging). Kept when the validation
    // rows say so, else the best epoch is restored.
    bool averaged = false;
    if (options.average) {
      PROMOREC_RETURN_IF_ERROR(state.AverageWith(env, options.snapshot_path));
      const double loss = StateLoss(state, *valid, sgd, options.threads);
      averaged = loss < best;
      if (averaged) result.averaged_valid_loss = loss;
    }
    if (!averaged) PROMOREC_RETURN_IF_ERROR(state.Load(env, options.snapshot_path));
    in_snapshot = !averaged;
  }
  double before = result.averaged_valid_loss.value_or(best);
  SgdOptions slow = sgd;
  for (int pass = 0; early && options.anneal > 0 && pass < options.anneal_passes; ++pass) {
    slow.eta *= options.anneal;
    if (!in_snapshot) PROMOREC_RETURN_IF_ERROR(state.Save(env, options.snapshot_path));
    in_snapshot = false;
    EpochReport report = TimedPass(state, train, Shuffled(train.rows(), rng), threads, slow);
    report.epoch = result.epochs.back().epoch + 1;
    report.annealed = true;
    report.valid_loss = StateLoss(state, *valid, slow, options.threads);
    result.epochs.push_back(report);
    if (on_epoch) on_epoch(report);
    if (*report.valid_loss >= before) {
      PROMOREC_RETURN_IF_ERROR(state.Load(env, options.snapshot_path));
      break;
    }
    before = *report.valid_loss;
    result.annealed_valid_loss = before;
  }
  if (early) (void)env.RemoveFile(options.snapshot_path);
  if (options.learn_valid && valid != nullptr && valid->rows() > 0) {
    if (valid->rows() > UINT32_MAX) return base::InvalidArgument("more than 2^32 validation rows");
    valid->AddFeatureCounts(&result.counts);
    state.SetCounts(result.counts);
    SgdOptions fresh = sgd;
    fresh.eta *= options.valid_rate;
    Pass(state, *valid, Shuffled(valid->rows(), rng), threads, fresh);
  }
  state.ExportParams(&params);
  result.optimiser = state.ExportOptimiser();
  return result;
}

}  // namespace promorec::trainer
