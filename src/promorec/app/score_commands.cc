// `promorec predict` (one probability per line; the raw score of a
// squared-loss model) and `promorec eval` (logloss and AUC, or RMSE and MAE
// for a squared-loss model, per-user MAP@k and NDCG@k, the same split by how
// often each row's user was seen in training, and the oracle's figures when
// the true probabilities or values are given).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "promorec/app/commands.h"
#include "promorec/app/model_data.h"
#include "promorec/base/binary_metrics.h"
#include "promorec/base/env.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/model_file.h"
#include "promorec/model/predict.h"
#include "promorec/trainer/metrics.h"
#include "promorec/trainer/ranking_metrics.h"

namespace promorec::app {
namespace {

constexpr std::uint32_t kNoUser = UINT32_MAX;

struct ScoreCommandOptions {
  std::string model_dir;
  std::string input;
  std::string truth;
  std::string user_field;
  std::size_t at = 10;
  LoadOptions load;
  bool json = false;
};

int Fail(const char* name, const std::string& message) {
  std::fprintf(stderr, "promorec %s: %s\n", name, message.c_str());
  return kExitFailure;
}

// One value per line: probabilities in [0, 1], or any finite number for a
// squared-loss model.
base::Result<std::vector<float>> ReadTruth(const std::string& path, bool probabilities) {
  PROMOREC_ASSIGN_OR_RETURN(const std::string text,
                            base::ReadFileToString(base::DefaultEnv(), path));
  std::vector<float> truth;
  std::size_t start = 0, line = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    if (end > start) {
      float p = 0;
      const auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + end, p);
      if (ec != std::errc() || ptr != text.data() + end || !std::isfinite(p) ||
          (probabilities && !(p >= 0 && p <= 1))) {
        return base::InvalidArgument(
            path + ":" + std::to_string(line) +
            (probabilities ? ": expected a probability in [0, 1]" : ": expected a finite number"));
      }
      truth.push_back(p);
    }
    start = end + 1;
  }
  return truth;
}

// The field whose feature groups rows into users: a name from the model's
// fields or a number; by default the first field (userid for events).
base::Result<std::uint32_t> UserField(const model::ModelFile& model, const std::string& spec) {
  const auto& fields = model.dictionary.fields();
  if (spec.empty()) return 0u;
  for (std::uint32_t f = 0; f < fields.size(); ++f) {
    if (fields[f] == spec) return f;
  }
  std::uint32_t f = 0;
  const auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), f);
  if (ec == std::errc() && ptr == spec.data() + spec.size() && f < fields.size()) return f;
  return base::InvalidArgument("--user-field " + spec + ": not a field of the model");
}

struct Scored {
  std::vector<float> predicted;
  std::vector<float> labels;
  std::vector<std::uint32_t> users;  // feature index, kNoUser when absent
};

// The loss figures: logloss and AUC of probabilities, or RMSE and MAE of
// regression scores (`squared`), with their names.
struct LossPair {
  const char* names[2];
  double values[2];
};
LossPair LossFigures(std::span<const float> p, std::span<const float> y, bool squared) {
  if (squared) return {{"rmse", "mae"}, {trainer::Rmse(p, y), trainer::MeanAbsoluteError(p, y)}};
  return {{"logloss", "auc"}, {base::LogLoss(p, y).value_or(0.0), base::Auc(p, y).value_or(0.5)}};
}

std::string Figures(std::span<const float> p, std::span<const float> y,
                    std::span<const std::uint32_t> users, std::size_t at, bool squared) {
  const trainer::RankingMetrics r = trainer::RankByGroup(users, p, y, at);
  const LossPair loss = LossFigures(p, y, squared);
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "\"%s\":%.6f,\"%s\":%.6f,\"map_at_k\":%.6f,\"ndcg_at_k\":%.6f,"
                "\"ranked_users\":%zu",
                loss.names[0], loss.values[0], loss.names[1], loss.values[1], r.map, r.ndcg,
                r.groups);
  return buf;
}

int RunScore(const ScoreCommandOptions& o, bool evaluate) {
  const char* name = evaluate ? "eval" : "predict";
  if (!CheckFormat(name, o.load.format)) return kExitUnavailable;
  auto model = model::ReadModel(base::DefaultEnv(), o.model_dir);
  if (!model) return Fail(name, model.error().ToString());
  if (IsEventFormat(o.load.format)) {
    const auto& fields = model->dictionary.fields();
    if (!std::equal(fields.begin(), fields.end(), features::kEventFields.begin(),
                    features::kEventFields.end())) {
      return Fail(name,
                  "the model's fields are not the event fields (was it trained on libffm data?)");
    }
  }
  auto user_field = UserField(*model, o.user_field);
  if (!user_field) return Fail(name, user_field.error().message());
  LoadOptions load = o.load;
  load.threads = 2;
  load.real_labels = model->loss == model::Loss::kSquared;
  auto data = LoadExamples(name, {o.input}, load, &model->dictionary);
  if (!data) return Fail(name, data.error().ToString());
  const bool squared = model->loss == model::Loss::kSquared;
  Scored s;
  std::vector<model::Feature> row, scratch;
  for (std::size_t i = 0; i < data->rows(); ++i) {
    const auto features = data->Row(i, &row);
    s.predicted.push_back(model::ServedScore(
        model->loss,
        model::PredictLogit(model->params, features, model->instance_normalisation, &scratch)));
    s.labels.push_back(data->label(i));
    std::uint32_t user = kNoUser;
    for (const auto& f : features) {
      if (f.field == *user_field) user = f.index;
    }
    s.users.push_back(user);
  }
  if (!evaluate) {
    std::string out;
    char line[32];
    for (const float p : s.predicted) {
      std::snprintf(line, sizeof line, "%.6f\n", static_cast<double>(p));
      out += line;
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  }
  std::optional<std::vector<float>> truth;
  if (!o.truth.empty()) {
    auto read = ReadTruth(o.truth, !squared);
    if (!read) return Fail(name, read.error().ToString());
    if (read->size() != s.labels.size()) {
      return Fail(name, o.truth + " has " + std::to_string(read->size()) + " probabilities for " +
                            std::to_string(s.labels.size()) + " rows");
    }
    truth = std::move(*read);
  }
  std::string json = "{\"rows\":" + std::to_string(s.labels.size()) +
                     ",\"k\":" + std::to_string(o.at) + "," +
                     Figures(s.predicted, s.labels, s.users, o.at, squared);
  json += ",\"oracle\":";
  json += truth ? "{" + Figures(*truth, s.labels, s.users, o.at, squared) + "}" : "null";
  // By how often the row's user occurred in training (the model's counts).
  json += ",\"by_user_frequency\":";
  if (model->counts.empty()) {
    json += "null";
  } else {
    json += "[";
    for (std::size_t b = 0; b < trainer::kFrequencyBuckets; ++b) {
      Scored part;
      std::vector<float> part_truth;
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        const std::uint32_t u = s.users[i];
        const std::uint64_t seen = u < model->counts.size() ? model->counts[u] : 0;
        if (trainer::FrequencyBucket(seen) != b) continue;
        part.predicted.push_back(s.predicted[i]);
        part.labels.push_back(s.labels[i]);
        part.users.push_back(u);
        if (truth) part_truth.push_back((*truth)[i]);
      }
      if (part.labels.empty()) continue;
      if (json.back() != '[') json += ",";
      json += "{\"bucket\":\"" + trainer::FrequencyBucketName(b) +
              "\",\"rows\":" + std::to_string(part.labels.size()) + "," +
              Figures(part.predicted, part.labels, part.users, o.at, squared);
      if (truth) {
        char buf[64];
        std::snprintf(buf, sizeof buf,
                      squared ? ",\"oracle_rmse\":%.6f" : ",\"oracle_logloss\":%.6f",
                      squared ? trainer::Rmse(part_truth, part.labels)
                              : base::LogLoss(part_truth, part.labels).value_or(0.0));
        json += buf;
      }
      json += "}";
    }
    json += "]";
  }
  json += "}";
  if (o.json) {
    std::printf("%s\n", json.c_str());
    return kExitOk;
  }
  const trainer::RankingMetrics r = trainer::RankByGroup(s.users, s.predicted, s.labels, o.at);
  const auto text = [squared](std::span<const float> p, std::span<const float> y) {
    const LossPair loss = LossFigures(p, y, squared);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%s %.6f  %s %.6f", squared ? "RMSE" : "logloss", loss.values[0],
                  squared ? "MAE" : "AUC", loss.values[1]);
    return std::string(buf);
  };
  std::printf("rows %zu  %s  MAP@%zu %.4f  NDCG@%zu %.4f\n", s.labels.size(),
              text(s.predicted, s.labels).c_str(), o.at, r.map, o.at, r.ndcg);
  if (truth) std::printf("oracle   %s\n", text(*truth, s.labels).c_str());
  std::printf("(--json adds the figures by how often each user was seen in training)\n");
  return kExitOk;
}

void AddInputOptions(CLI::App* c, ScoreCommandOptions* o) {
  c->add_option("--model", o->model_dir, "model directory")->required();
  c->add_option("--input", o->input, "examples to score")->required();
  c->add_option("--format", o->load.format,
                "input format: libffm, recordio, kasandr, click or json")
      ->capture_default_str();
  c->add_flag("!--no-cache", o->load.cache, "no binary cache beside libffm input");
}

}  // namespace

void RegisterScoreCommands(CLI::App& app, CommandResult& result) {
  auto p = std::make_shared<ScoreCommandOptions>();
  CLI::App* predict = app.add_subcommand("predict", "score examples with a trained model");
  AddInputOptions(predict, p.get());
  predict->callback([p, &result] { result.exit_code = RunScore(*p, false); });

  auto e = std::make_shared<ScoreCommandOptions>();
  CLI::App* eval = app.add_subcommand(
      "eval",
      "evaluate a model: logloss and AUC (RMSE and MAE for squared loss), per-user MAP@k "
      "and NDCG@k, by user frequency");
  AddInputOptions(eval, e.get());
  eval->add_option("--truth", e->truth,
                   "true probability (squared loss: value) per row, for the oracle's figures");
  eval->add_option("--user-field", e->user_field,
                   "field that identifies the user (name or number; default the first)");
  eval->add_option("--at", e->at, "k of MAP@k and NDCG@k")->capture_default_str();
  eval->add_flag("--json", e->json, "print one JSON object");
  eval->callback([e, &result] { result.exit_code = RunScore(*e, true); });
}

}  // namespace promorec::app
