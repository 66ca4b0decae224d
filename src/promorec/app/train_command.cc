// `promorec train`: an FFM/FM model from libffm, RecordIO-protobuf or event
// files, written as a model directory (docs/formats/model.md). Progress per
// epoch goes to a terminal; --json prints one summary object.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "promorec/app/commands.h"
#include "promorec/app/model_data.h"
#include "promorec/app/sagemaker_train.h"
#include "promorec/app/train_command.h"
#include "promorec/base/env.h"
#include "promorec/event/timestamp.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/model_file.h"
#include "promorec/trainer/ffm_trainer.h"
#include "promorec/trainer/hyper_params.h"

namespace promorec::app {
namespace {

// `metric` names the loss: "logloss", or "mse" (mean squared error).
std::string EpochsJson(const std::vector<trainer::EpochReport>& epochs, const char* metric) {
  std::string out = "[";
  char buf[160];
  for (const auto& e : epochs) {
    std::snprintf(buf, sizeof buf, "%s{\"epoch\":%d,\"train_%s\":%.6f,", out.size() > 1 ? "," : "",
                  e.epoch, metric, e.train_loss);
    out += buf;
    if (e.valid_loss) {
      std::snprintf(buf, sizeof buf, "\"valid_%s\":%.6f,", metric, *e.valid_loss);
      out += buf;
    }
    if (e.annealed) out += "\"annealed\":true,";
    std::snprintf(buf, sizeof buf, "\"examples_per_second\":%.0f}", e.examples_per_second);
    out += buf;
  }
  return out + "]";
}

}  // namespace

int RunTrain(const TrainCommandOptions& o, std::string* failure) {
  // Says why on stderr and to the caller; the exit code.
  const auto fail = [failure](const std::string& message, int code = kExitFailure) {
    std::fprintf(stderr, "promorec train: %s\n", message.c_str());
    if (failure != nullptr) *failure = message;
    return code;
  };
  const auto started = std::chrono::steady_clock::now();
  if (!CheckFormat("train", o.load.format)) return kExitUnavailable;
  trainer::TrainOptions options = o.train;
  if (o.model_type == "fm") {
    options.type = model::ModelType::kFm;
  } else if (o.model_type != "ffm") {
    return fail("--model-type must be ffm or fm", kExitUnavailable);
  }
  if (o.loss == "squared") {
    options.loss = model::Loss::kSquared;
  } else if (o.loss != "logistic") {
    return fail("--loss must be logistic or squared", kExitUnavailable);
  }
  const bool squared = options.loss == model::Loss::kSquared;
  const char* metric = squared ? "mse" : "logloss";
  if (o.valid_tail != 0) {
    if (!o.valid_file.empty()) return fail("--valid and --valid-tail exclude each other");
    if (!(o.valid_tail > 0 && o.valid_tail < 1)) {
      return fail("--valid-tail must be a fraction in (0, 1)");
    }
  }
  base::Env& env = base::DefaultEnv();
  const bool events = IsEventFormat(o.load.format);
  std::optional<model::ModelFile> earlier;
  if (!o.warm_start.empty()) {
    auto read = model::ReadModel(env, o.warm_start);
    if (!read) return fail("--warm-start: " + read.error().ToString());
    earlier = std::move(*read);
    if (earlier->loss != options.loss) {
      return fail("--warm-start: " + o.warm_start + " was trained with the other loss");
    }
    if (!earlier->optimiser) {
      std::fprintf(stderr, "promorec train: %s is a serving-only export; AdaGrad starts afresh\n",
                   o.warm_start.c_str());
    }
  }
  model::FeatureDictionary dictionary =
      earlier && events ? earlier->dictionary : features::NewEventDictionary();
  // RecordIO keys are bare indices: a headers.csv names them and gives
  // each its field (the original system's layout), so the model keeps the
  // names. Without one every key is in field 0 (plain FM).
  const bool named = !o.headers.empty() || (earlier && o.load.format == "recordio");
  if (!o.headers.empty()) {
    if (o.load.format != "recordio") return fail("--headers goes with --format recordio");
    auto text = base::ReadFileToString(env, o.headers);
    if (!text) return fail(text.error().ToString());
    auto read = model::FeatureDictionary::FromHeadersCsv(
        {features::kEventFields.begin(), features::kEventFields.end()}, *text);
    if (!read) return fail(o.headers + ": " + read.error().message());
    dictionary = std::move(*read);
  } else if (earlier && o.load.format == "recordio") {
    dictionary = earlier->dictionary;
  }
  LoadOptions load = o.load;
  load.threads = options.threads;
  load.add = true;
  load.real_labels = squared;
  EventTimes times;
  auto train =
      LoadExamples("train", o.train_files, load, events || named ? &dictionary : nullptr, &times);
  if (!train) return fail(train.error().ToString());
  std::optional<trainer::Dataset> valid;
  if (!o.valid_file.empty()) {
    load.add = false;
    auto loaded = LoadExamples("train", {o.valid_file}, load,
                               events || named ? &dictionary : nullptr, &times);
    if (!loaded) return fail(loaded.error().ToString());
    valid = std::move(*loaded);
  }
  if (train->rows() == 0) return fail("no training rows");
  if (o.valid_tail > 0) {
    const auto held = static_cast<std::size_t>(static_cast<double>(train->rows()) * o.valid_tail);
    if (held == 0 || held >= train->rows()) {
      return fail("--valid-tail " + std::to_string(o.valid_tail) + " of " +
                  std::to_string(train->rows()) + " rows leaves no rows to validate or train on");
    }
    valid = train->SplitTail(train->rows() - held);
  }
  std::uint32_t fields = events || named
                             ? static_cast<std::uint32_t>(features::kEventFields.size())
                             : std::max(train->num_fields(), valid ? valid->num_fields() : 0u);
  std::uint32_t features =
      events ? dictionary.size()
             : std::max(train->num_features(), valid ? valid->num_features() : 0u);
  if (named && dictionary.size() < features) {
    return fail("the data has feature indices beyond the " + std::to_string(dictionary.size()) +
                " names of the headers");
  }
  if (named) features = dictionary.size();
  if (earlier) {
    fields = std::max(fields, earlier->params.shape().num_fields);
    features = std::max(features, earlier->params.shape().num_features);
  }
  options.snapshot_path = o.out + "/.best-epoch.tmp";
  if (auto made = env.CreateDirs(o.out); !made) return fail(made.error().ToString());
  const bool terminal = isatty(STDERR_FILENO) == 1;
  // libffm data names its features by number; that dictionary depends on
  // the data alone, so it is built while the model trains.
  std::future<model::FeatureDictionary> numeric;
  if (!events && !named) {
    numeric = std::async(std::launch::async, [&train, &valid, fields, features] {
      return NumericDictionary(*train, valid ? &*valid : nullptr, fields, features);
    });
  }
  auto result = trainer::Train(
      env, *train, valid ? &*valid : nullptr, features, fields, options,
      [&](const trainer::EpochReport& e) {
        if (!terminal && o.json) return;
        std::fprintf(stderr, "%s %3d  train %s %.5f", e.annealed ? "anneal" : "epoch ", e.epoch,
                     metric, e.train_loss);
        if (e.valid_loss) std::fprintf(stderr, "  valid %s %.5f", metric, *e.valid_loss);
        std::fprintf(stderr, "  %.0f examples/s\n", e.examples_per_second);
      },
      earlier ? &earlier->params : nullptr,
      earlier && earlier->optimiser ? &*earlier->optimiser : nullptr);
  if (!result) return fail(result.error().ToString());
  const trainer::EpochReport& best =
      result->epochs[static_cast<std::size_t>(result->best_epoch - 1)];
  // The returned model's validation loss: the best epoch's, or the
  // lower one of its mean with the next epoch, or the lower one still
  // after the pass at the smaller learning rate.
  const bool averaged = result->averaged_valid_loss.has_value();
  const bool annealed = result->annealed_valid_loss.has_value();
  const std::optional<double> valid_loss = annealed   ? result->annealed_valid_loss
                                           : averaged ? result->averaged_valid_loss
                                                      : best.valid_loss;
  std::vector<std::uint32_t> counts = std::move(result->counts);
  counts.resize(features, 0);
  model::ModelFile file{std::move(result->params),
                        numeric.valid() ? numeric.get() : std::move(dictionary),
                        options.loss,
                        options.normalise,
                        std::move(result->optimiser),
                        {},
                        {},
                        std::move(counts)};
  // The recorded hyper-parameters, then what this run made of them.
  file.hyper = trainer::RecordedHyperParams(options);
  file.hyper["epochs"] = std::to_string(result->best_epoch);
  file.hyper["model_type"] = o.model_type;
  file.hyper["learn_valid"] = options.learn_valid && valid ? "1" : "0";
  file.hyper["averaged"] = averaged ? "1" : "0";
  file.hyper["annealed"] = annealed ? "1" : "0";
  if (earlier) file.hyper["warm_start"] = o.warm_start;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // No wall time here: a deterministic run must write the same bytes.
  file.training = {{"rows", std::to_string(train->rows())},
                   {std::string("train_") + metric, std::to_string(best.train_loss)}};
  if (valid) file.training["valid_rows"] = std::to_string(valid->rows());
  if (times.events > 0) {
    // The span of the events trained and validated on, in UTC.
    event::AppendIso8601(times.first_us, &file.training["first_event"]);
    event::AppendIso8601(times.last_us, &file.training["last_event"]);
  }
  if (valid_loss) file.training[std::string("valid_") + metric] = std::to_string(*valid_loss);
  if (auto written = model::WriteModel(env, o.out, file, !o.serving_only); !written) {
    return fail(written.error().ToString());
  }
  if (o.json) {
    std::printf(
        "{\"model\":\"%s\",\"rows\":%zu,\"features\":%u,\"fields\":%u,\"epochs_run\":%zu,"
        "\"best_epoch\":%d,\"averaged\":%s,\"annealed\":%s,\"loss\":\"%s\",\"train_%s\":%.6f,"
        "\"valid_%s\":%s,\"seconds\":%.3f,\"serving_only\":%s,\"epochs\":%s}\n",
        o.out.c_str(), train->rows(), features, fields, result->epochs.size(), result->best_epoch,
        averaged ? "true" : "false", annealed ? "true" : "false", o.loss.c_str(), metric,
        best.train_loss, metric, valid_loss ? std::to_string(*valid_loss).c_str() : "null", seconds,
        o.serving_only ? "true" : "false", EpochsJson(result->epochs, metric).c_str());
  } else {
    std::printf("model written to %s (best epoch %d of %zu%s%s, %.1f s)\n", o.out.c_str(),
                result->best_epoch, result->epochs.size(),
                averaged ? ", averaged with the next" : "",
                annealed ? ", then a pass at a smaller learning rate" : "", seconds);
  }
  return kExitOk;
}

void RegisterTrainCommand(CLI::App& app, CommandResult& result) {
  auto t = std::make_shared<TrainCommandOptions>();
  t->train.learn_valid = true;
  CLI::App* c = app.add_subcommand(
      "train", "train an FFM/FM model from libffm, KASANDR, click or JSON files");
  c->add_option("--train", t->train_files, "training files (required unless --sagemaker)");
  c->add_option("--valid", t->valid_file,
                "validation file (enables early stopping; usually the most recent rows)");
  c->add_option("--valid-tail", t->valid_tail,
                "without --valid: validate on this fraction of the training rows, the last "
                "ones (files in time order: the most recent)");
  c->add_option(
       "--format", t->load.format,
       "input format: libffm, recordio (SageMaker RecordIO-protobuf), kasandr, click or json")
      ->capture_default_str();
  c->add_option("--model-type", t->model_type, "ffm or fm")->capture_default_str();
  c->add_option("--loss", t->loss,
                "logistic (labels 1/0: clicks, probabilities out) or squared (any labels: "
                "regression, raw scores out)")
      ->capture_default_str();
  // The hyper-parameters, from their one table (trainer/hyper_params.h).
  for (const trainer::HyperParam& p : trainer::HyperParams()) {
    std::visit(
        [&](auto member) {
          auto& field = t->train.*member;
          if constexpr (std::is_same_v<std::remove_reference_t<decltype(field)>, bool>) {
            c->add_flag(std::string(p.flag), field, std::string(p.help));
          } else {
            c->add_option(std::string(p.flag), field, std::string(p.help))->capture_default_str();
          }
        },
        p.field);
  }
  c->add_flag("--strict", t->load.strict, "stop at the first bad line");
  c->add_flag("!--no-cache", t->load.cache,
              "neither read nor write FILE.promorec-cache beside libffm input");
  c->add_option("--headers", t->headers,
                "headers.csv naming the RecordIO feature indices (<field>_<value> per line)");
  c->add_option("--warm-start", t->warm_start,
                "model directory to continue from (nightly retraining)");
  c->add_flag("--serving-only", t->serving_only,
              "leave the optimiser state out of the model file (about half the size)");
  c->add_option("--out", t->out, "model directory to write (required unless --sagemaker)");
  auto sagemaker = std::make_shared<bool>(false);
  auto sagemaker_root = std::make_shared<std::string>("/opt/ml");
  c->add_flag("--sagemaker", *sagemaker,
              "SageMaker training contract: hyperparameters, channels and model under /opt/ml");
  c->add_option("--sagemaker-root", *sagemaker_root,
                "where the SageMaker layout is (a test or a local run)")
      ->capture_default_str();
  c->add_flag("--json", t->json, "print a JSON summary");
  AddDataDirOption(*c, &t->data_dir);
  c->callback([t, sagemaker, sagemaker_root, &result] {
    if (*sagemaker) {
      result.exit_code = RunSageMakerTraining(*sagemaker_root, *t);
      return;
    }
    if (t->train_files.empty() || t->out.empty()) {
      std::fprintf(stderr, "promorec train: --train and --out are required (or --sagemaker)\n");
      result.exit_code = kExitUnavailable;
      return;
    }
    result.exit_code = RunTrain(*t);
  });
}

}  // namespace promorec::app
