// `promorec train`, `predict` and `eval` on libffm files or event files
// (through the feature builder): training writes a
// model directory (docs/formats/model.md); predict prints one probability
// per line; eval prints logloss and AUC, and the oracle's when the true
// probabilities are given.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "promorec/app/cli_util.h"
#include "promorec/app/commands.h"
#include "promorec/base/env.h"
#include "promorec/event/dead_letter.h"
#include "promorec/event/event_file.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/model_file.h"
#include "promorec/model/predict.h"
#include "promorec/trainer/ffm_trainer.h"
#include "promorec/trainer/libffm_reader.h"
#include "promorec/trainer/metrics.h"

namespace promorec::app {
namespace {

struct TrainCommandOptions {
  std::vector<std::string> train_files;
  std::string valid_file;
  std::string format = "libffm";
  std::string model_type = "ffm";
  std::string out;
  std::string data_dir;
  trainer::TrainOptions train;
  bool strict = false;
  bool json = false;
};

struct ScoreCommandOptions {
  std::string model_dir;
  std::string input;
  std::string truth;
  std::string format = "libffm";
  bool json = false;
};

bool CheckFormat(const std::string& command, const std::string& format) {
  if (format == "libffm" || event::ParseInputFormat(format)) return true;
  std::fprintf(stderr, "promorec %s: --format %s: expected libffm, kasandr, click or json\n",
               command.c_str(), format.c_str());
  return false;
}

// Event files through the feature builder: label = rating. With `add`,
// unknown values join the dictionary (training); otherwise they are left
// out, as at serving time.
base::Result<trainer::Dataset> LoadEvents(const std::string& command,
                                          const std::vector<std::string>& files,
                                          const std::string& format,
                                          model::FeatureDictionary* dictionary, bool add) {
  trainer::Dataset data;
  std::vector<model::Feature> row;
  for (const std::string& file : files) {
    event::MemoryDeadLetter dead_letter;
    PROMOREC_ASSIGN_OR_RETURN(
        const event::ReadStats stats,
        event::ReadEventFile(
            base::DefaultEnv(), file, BaseName(file), *event::ParseInputFormat(format),
            [&](const event::ClickEvent& e) {
              if (add) {
                features::BuildRowForTraining(dictionary, e, &row);
              } else {
                features::BuildRow(*dictionary, e, &row);
              }
              data.AddRow(e.rating == 1 ? 1.0f : 0.0f, row);
            },
            dead_letter));
    for (std::size_t i = 0; i < dead_letter.rejections().size() && i < 10; ++i) {
      std::fprintf(stderr, "promorec %s: rejected: %s\n", command.c_str(),
                   dead_letter.rejections()[i].ToString().c_str());
    }
    if (stats.rejected > 0) {
      std::fprintf(stderr, "promorec %s: %s: %llu of %llu rows rejected\n", command.c_str(),
                   file.c_str(), static_cast<unsigned long long>(stats.rejected),
                   static_cast<unsigned long long>(stats.rows_read));
    }
  }
  return data;
}

base::Result<trainer::Dataset> Load(const std::string& command,
                                    const std::vector<std::string>& files, bool strict) {
  trainer::Dataset data;
  for (const std::string& file : files) {
    PROMOREC_ASSIGN_OR_RETURN(const trainer::LibffmReport report,
                              trainer::ReadLibffmFile(base::DefaultEnv(), file, &data, strict));
    for (const std::string& e : report.errors) {
      std::fprintf(stderr, "promorec %s: rejected: %s\n", command.c_str(), e.c_str());
    }
    if (report.rejected > 0) {
      std::fprintf(stderr, "promorec %s: %s: %llu of %llu rows rejected\n", command.c_str(),
                   file.c_str(), static_cast<unsigned long long>(report.rejected),
                   static_cast<unsigned long long>(report.rows_read));
    }
  }
  return data;
}

// libffm carries no names: entry i is "<field of its first use>_<i>".
model::FeatureDictionary LibffmDictionary(const trainer::Dataset& data, std::uint32_t fields,
                                          std::uint32_t features) {
  std::vector<std::string> names;
  for (std::uint32_t f = 0; f < fields; ++f) names.push_back("field" + std::to_string(f));
  std::vector<std::uint32_t> field_of(features, 0);
  std::vector<bool> seen(features, false);
  for (std::size_t r = 0; r < data.rows(); ++r) {
    for (const auto& f : data.row(r)) {
      if (!seen[f.index]) {
        seen[f.index] = true;
        field_of[f.index] = f.field;
      }
    }
  }
  model::FeatureDictionary dictionary(std::move(names));
  for (std::uint32_t i = 0; i < features; ++i) dictionary.Add(field_of[i], std::to_string(i));
  return dictionary;
}

int RunTrain(const TrainCommandOptions& o) {
  if (!CheckFormat("train", o.format)) return kExitUnavailable;
  trainer::TrainOptions options = o.train;
  if (o.model_type == "fm") {
    options.type = model::ModelType::kFm;
  } else if (o.model_type != "ffm") {
    std::fprintf(stderr, "promorec train: --model-type must be ffm or fm\n");
    return kExitUnavailable;
  }
  const bool events = o.format != "libffm";
  model::FeatureDictionary event_dictionary = features::NewEventDictionary();
  auto train = events ? LoadEvents("train", o.train_files, o.format, &event_dictionary, true)
                      : Load("train", o.train_files, o.strict);
  if (!train) {
    std::fprintf(stderr, "promorec train: %s\n", train.error().ToString().c_str());
    return kExitFailure;
  }
  std::optional<trainer::Dataset> valid;
  if (!o.valid_file.empty()) {
    auto loaded = events ? LoadEvents("train", {o.valid_file}, o.format, &event_dictionary, false)
                         : Load("train", {o.valid_file}, o.strict);
    if (!loaded) {
      std::fprintf(stderr, "promorec train: %s\n", loaded.error().ToString().c_str());
      return kExitFailure;
    }
    valid = std::move(*loaded);
  }
  if (train->rows() == 0) {
    std::fprintf(stderr, "promorec train: no training rows\n");
    return kExitFailure;
  }
  const std::uint32_t fields =
      events ? static_cast<std::uint32_t>(features::kEventFields.size())
             : std::max(train->num_fields(), valid ? valid->num_fields() : 0u);
  const std::uint32_t features =
      events ? event_dictionary.size()
             : std::max(train->num_features(), valid ? valid->num_features() : 0u);
  options.snapshot_path = o.out + "/.best-epoch.tmp";
  base::Env& env = base::DefaultEnv();
  if (auto made = env.CreateDirs(o.out); !made) {
    std::fprintf(stderr, "promorec train: %s\n", made.error().ToString().c_str());
    return kExitFailure;
  }
  const bool terminal = isatty(STDERR_FILENO) == 1;
  auto result = trainer::Train(env, *train, valid ? &*valid : nullptr, features, fields, options,
                               [&](const trainer::EpochReport& e) {
                                 if (!terminal && o.json) return;
                                 std::fprintf(stderr, "epoch %3d  train logloss %.5f", e.epoch,
                                              e.train_logloss);
                                 if (e.valid_logloss)
                                   std::fprintf(stderr, "  valid logloss %.5f", *e.valid_logloss);
                                 std::fprintf(stderr, "  %.0f examples/s\n", e.examples_per_second);
                               });
  if (!result) {
    std::fprintf(stderr, "promorec train: %s\n", result.error().ToString().c_str());
    return kExitFailure;
  }
  const trainer::EpochReport& best =
      result->epochs[static_cast<std::size_t>(result->best_epoch - 1)];
  model::ModelFile file{
      std::move(result->params),
      events ? std::move(event_dictionary) : LibffmDictionary(*train, fields, features),
      model::Loss::kLogistic,
      options.normalise,
      std::move(result->optimiser),
      {},
      {}};
  file.hyper = {
      {"eta", std::to_string(options.eta)},   {"lambda", std::to_string(options.lambda)},
      {"k", std::to_string(options.k)},       {"epochs", std::to_string(result->best_epoch)},
      {"seed", std::to_string(options.seed)}, {"model_type", o.model_type}};
  file.training = {{"rows", std::to_string(train->rows())},
                   {"train_logloss", std::to_string(best.train_logloss)}};
  if (best.valid_logloss) file.training["valid_logloss"] = std::to_string(*best.valid_logloss);
  if (auto written = model::WriteModel(env, o.out, file, true); !written) {
    std::fprintf(stderr, "promorec train: %s\n", written.error().ToString().c_str());
    return kExitFailure;
  }
  if (o.json) {
    std::printf(
        "{\"model\":\"%s\",\"rows\":%zu,\"features\":%u,\"fields\":%u,\"epochs_run\":%zu,"
        "\"best_epoch\":%d,\"train_logloss\":%.6f,\"valid_logloss\":%s}\n",
        o.out.c_str(), train->rows(), features, fields, result->epochs.size(), result->best_epoch,
        best.train_logloss,
        best.valid_logloss ? std::to_string(*best.valid_logloss).c_str() : "null");
  } else {
    std::printf("model written to %s (best epoch %d of %zu)\n", o.out.c_str(), result->best_epoch,
                result->epochs.size());
  }
  return kExitOk;
}

int RunScore(const ScoreCommandOptions& o, bool evaluate) {
  const char* name = evaluate ? "eval" : "predict";
  if (!CheckFormat(name, o.format)) return kExitUnavailable;
  auto model = model::ReadModel(base::DefaultEnv(), o.model_dir);
  if (!model) {
    std::fprintf(stderr, "promorec %s: %s\n", name, model.error().ToString().c_str());
    return kExitFailure;
  }
  const bool events = o.format != "libffm";
  if (events) {
    const auto& fields = model->dictionary.fields();
    if (!std::equal(fields.begin(), fields.end(), features::kEventFields.begin(),
                    features::kEventFields.end())) {
      std::fprintf(stderr,
                   "promorec %s: the model's fields are not the event fields (was it trained "
                   "on libffm data?)\n",
                   name);
      return kExitFailure;
    }
  }
  auto data = events ? LoadEvents(name, {o.input}, o.format, &model->dictionary, false)
                     : Load(name, {o.input}, false);
  if (!data) {
    std::fprintf(stderr, "promorec %s: %s\n", name, data.error().ToString().c_str());
    return kExitFailure;
  }
  std::vector<float> probabilities;
  std::vector<float> labels;
  std::vector<model::Feature> scratch;
  for (std::size_t i = 0; i < data->rows(); ++i) {
    probabilities.push_back(model::PredictProbability(model->params, data->row(i),
                                                      model->instance_normalisation, &scratch));
    labels.push_back(data->label(i));
  }
  if (!evaluate) {
    std::string out;
    char line[32];
    for (const float p : probabilities) {
      std::snprintf(line, sizeof line, "%.6f\n", static_cast<double>(p));
      out += line;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  }
  std::string oracle = "null";
  if (!o.truth.empty()) {
    auto text = base::ReadFileToString(base::DefaultEnv(), o.truth);
    if (!text) {
      std::fprintf(stderr, "promorec eval: %s\n", text.error().ToString().c_str());
      return kExitFailure;
    }
    std::vector<float> truth;
    std::size_t start = 0;
    while (start < text->size()) {
      std::size_t end = text->find('\n', start);
      if (end == std::string::npos) end = text->size();
      if (end > start) truth.push_back(std::stof(text->substr(start, end - start)));
      start = end + 1;
    }
    if (truth.size() != labels.size()) {
      std::fprintf(stderr, "promorec eval: %s has %zu probabilities for %zu rows\n",
                   o.truth.c_str(), truth.size(), labels.size());
      return kExitFailure;
    }
    char buf[96];
    std::snprintf(buf, sizeof buf, "{\"logloss\":%.6f,\"auc\":%.6f}",
                  trainer::LogLoss(truth, labels), trainer::Auc(truth, labels));
    oracle = buf;
  }
  const double logloss = trainer::LogLoss(probabilities, labels);
  const double auc = trainer::Auc(probabilities, labels);
  if (o.json) {
    std::printf("{\"rows\":%zu,\"logloss\":%.6f,\"auc\":%.6f,\"oracle\":%s}\n", labels.size(),
                logloss, auc, oracle.c_str());
  } else {
    std::printf("rows %zu  logloss %.6f  AUC %.6f\n", labels.size(), logloss, auc);
    if (oracle != "null") std::printf("oracle %s\n", oracle.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterModelCommands(CLI::App& app, CommandResult& result) {
  auto t = std::make_shared<TrainCommandOptions>();
  CLI::App* train = app.add_subcommand(
      "train", "train an FFM/FM model from libffm, KASANDR, click or JSON files");
  train->add_option("--train", t->train_files, "training files")->required();
  train->add_option("--valid", t->valid_file, "validation file (enables early stopping)");
  train->add_option("--format", t->format, "input format: libffm, kasandr, click or json")
      ->capture_default_str();
  train->add_option("--model-type", t->model_type, "ffm or fm")->capture_default_str();
  train->add_option("-k", t->train.k, "latent size")->capture_default_str();
  train->add_option("--epochs", t->train.epochs, "most epochs")->capture_default_str();
  train->add_option("--eta", t->train.eta, "AdaGrad learning rate")->capture_default_str();
  train->add_option("--lambda", t->train.lambda, "L2 regularisation")->capture_default_str();
  train->add_option("--threads", t->train.threads, "training threads")->capture_default_str();
  train->add_option("--seed", t->train.seed, "random seed")->capture_default_str();
  train->add_option("--patience", t->train.patience, "epochs without improvement before stopping")
      ->capture_default_str();
  train->add_flag("--deterministic", t->train.deterministic, "one thread, bit-identical models");
  train->add_flag("!--no-norm", t->train.normalise, "no instance-wise normalisation");
  train->add_flag("--strict", t->strict, "stop at the first bad line");
  train->add_option("--out", t->out, "model directory to write")->required();
  train->add_flag("--json", t->json, "print a JSON summary");
  AddDataDirOption(*train, &t->data_dir);
  train->callback([t, &result] { result.exit_code = RunTrain(*t); });

  auto p = std::make_shared<ScoreCommandOptions>();
  CLI::App* predict = app.add_subcommand("predict", "score examples with a trained model");
  predict->add_option("--model", p->model_dir, "model directory")->required();
  predict->add_option("--input", p->input, "examples to score")->required();
  predict->add_option("--format", p->format, "input format: libffm, kasandr, click or json")
      ->capture_default_str();
  predict->callback([p, &result] { result.exit_code = RunScore(*p, false); });

  auto e = std::make_shared<ScoreCommandOptions>();
  CLI::App* eval = app.add_subcommand("eval", "evaluate a model: logloss and AUC");
  eval->add_option("--model", e->model_dir, "model directory")->required();
  eval->add_option("--input", e->input, "labelled examples")->required();
  eval->add_option("--truth", e->truth, "true probability per row, for the oracle's figures");
  eval->add_option("--format", e->format, "input format: libffm, kasandr, click or json")
      ->capture_default_str();
  eval->add_flag("--json", e->json, "print one JSON object");
  eval->callback([e, &result] { result.exit_code = RunScore(*e, true); });
}

}  // namespace promorec::app
