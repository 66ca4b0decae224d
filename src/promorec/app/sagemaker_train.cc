#include "promorec/app/sagemaker_train.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/base/env.h"
#include "promorec/trainer/hyper_params.h"

namespace promorec::app {
namespace {

struct Failure {
  std::string message;
};

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// hyperparameters.json: an object whose values SageMaker sends as strings
// (numbers and booleans are accepted too, for files written by hand).
base::Result<std::map<std::string, std::string>> ReadHyperparameters(base::Env& env,
                                                                     const std::string& path) {
  std::map<std::string, std::string> out;
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (!exists) return out;
  PROMOREC_ASSIGN_OR_RETURN(const std::string text, base::ReadFileToString(env, path));
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(text).get(object) != simdjson::SUCCESS) {
    return base::InvalidArgument(path + ": not a JSON object");
  }
  for (const auto field : object) {
    const std::string key(field.key);
    std::string_view s;
    if (field.value.get(s) == simdjson::SUCCESS) {
      out[key] = std::string(s);
    } else if (field.value.is_number() || field.value.is_bool()) {
      out[key] = simdjson::minify(field.value);
    } else {
      return base::InvalidArgument(path + ": hyperparameter '" + key +
                                   "' must be a string, a number or a boolean");
    }
  }
  return out;
}

// The channel's ContentType from inputdataconfig.json, or "" when absent.
base::Result<std::string> ContentTypeOf(base::Env& env, const std::string& path,
                                        const std::string& channel) {
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (!exists) return std::string();
  PROMOREC_ASSIGN_OR_RETURN(const std::string text, base::ReadFileToString(env, path));
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) {
    return base::InvalidArgument(path + ": not a JSON object");
  }
  simdjson::dom::object config;
  if (root.at_key(channel).get(config) != simdjson::SUCCESS) return std::string();
  std::string_view type;
  if (config.at_key("ContentType").get(type) != simdjson::SUCCESS) return std::string();
  return std::string(type);
}

// promorec's input format for a SageMaker content type.
std::optional<std::string> FormatOf(std::string_view content_type) {
  const std::string_view type = content_type.substr(0, content_type.find(';'));
  if (type == "application/x-recordio-protobuf") return "recordio";
  if (type == "text/csv") return "click";
  if (type == "application/jsonlines" || type == "application/x-ndjson" ||
      type == "application/json") {
    return "json";
  }
  if (type == "text/x-libffm" || type == "text/libffm") return "libffm";
  return std::nullopt;
}

// The data files of a channel directory (headers.csv aside), sorted.
base::Result<std::vector<std::string>> ChannelFiles(base::Env& env, const std::string& dir,
                                                    std::string* headers) {
  PROMOREC_ASSIGN_OR_RETURN(std::vector<std::string> names, env.ListDir(dir));
  std::sort(names.begin(), names.end());
  std::vector<std::string> files;
  for (const std::string& name : names) {
    if (name.starts_with(".")) continue;
    if (name == "headers.csv") {
      *headers = dir + "/" + name;
      continue;
    }
    files.push_back(dir + "/" + name);
  }
  return files;
}

// Applies one hyperparameter; unknown names are errors, so that a typo
// does not train silently with a default.
std::optional<Failure> Apply(const std::string& key, const std::string& value,
                             TrainCommandOptions* o) {
  trainer::TrainOptions& t = o->train;
  const auto number = [&](auto* out) -> std::optional<Failure> {
    if (!ParseNumber(value, out)) {
      return Failure{"hyperparameter " + key + "='" + value + "' is not a number"};
    }
    return std::nullopt;
  };
  const auto boolean = [&](bool* out) -> std::optional<Failure> {
    if (value == "true" || value == "True" || value == "1") {
      *out = true;
    } else if (value == "false" || value == "False" || value == "0") {
      *out = false;
    } else {
      return Failure{"hyperparameter " + key + "='" + value + "' is not true or false"};
    }
    return std::nullopt;
  };
  // The training hyper-parameters, from their one table.
  if (const trainer::HyperParam* param = trainer::FindHyperParam(key); param != nullptr) {
    if (auto set = trainer::SetHyperParam(*param, value, &t); !set) {
      return Failure{set.error().message()};
    }
    return std::nullopt;
  }
  if (key == "valid_tail") return number(&o->valid_tail);
  if (key == "serving_only") return boolean(&o->serving_only);
  if (key == "model_type") {
    if (value != "ffm" && value != "fm") return Failure{"model_type must be ffm or fm"};
    o->model_type = value;
    return std::nullopt;
  }
  if (key == "format") {
    o->load.format = value;
    return std::nullopt;
  }
  if (key == "predictor_type") {
    // As SageMaker's factorization machines: a classifier learns logistic
    // loss, a regressor squared loss.
    if (value == "binary_classifier") {
      o->loss = "logistic";
    } else if (value == "regressor") {
      o->loss = "squared";
    } else {
      return Failure{"predictor_type '" + value + "' must be binary_classifier or regressor"};
    }
    return std::nullopt;
  }
  // SageMaker's own keys, and factorization-machine settings that have no
  // counterpart here (the whole data set is one batch stream).
  if (key.starts_with("sagemaker_") || key.starts_with("_") || key == "feature_dim" ||
      key == "mini_batch_size") {
    return std::nullopt;
  }
  return Failure{"unknown hyperparameter '" + key + "'"};
}

}  // namespace

int RunSageMakerTraining(const std::string& root, TrainCommandOptions o) {
  base::Env& env = base::DefaultEnv();
  const std::string failure_path = root + "/output/failure";
  const auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "promorec train --sagemaker: %s\n", why.c_str());
    (void)env.CreateDirs(root + "/output");
    (void)base::WriteFileAtomically(env, failure_path, why + "\n");
    return kExitFailure;
  };
  auto hyper = ReadHyperparameters(env, root + "/input/config/hyperparameters.json");
  if (!hyper) return fail(hyper.error().message());
  auto content_type = ContentTypeOf(env, root + "/input/config/inputdataconfig.json", "train");
  if (!content_type) return fail(content_type.error().message());
  if (!content_type->empty()) {
    const auto format = FormatOf(*content_type);
    if (!format) return fail("content type '" + *content_type + "' of channel train");
    o.load.format = *format;
  }
  for (const auto& [key, value] : *hyper) {
    if (auto failed = Apply(key, value, &o)) return fail(failed->message);
  }
  std::string headers;
  auto train = ChannelFiles(env, root + "/input/data/train", &headers);
  if (!train) return fail("channel train: " + train.error().message());
  if (train->empty()) return fail("channel train has no files");
  o.train_files = std::move(*train);
  if (!headers.empty() && o.load.format == "recordio") o.headers = headers;
  const std::string valid_dir = root + "/input/data/validation";
  if (env.FileExists(valid_dir).value_or(false)) {
    std::string ignored;
    auto valid = ChannelFiles(env, valid_dir, &ignored);
    if (!valid) return fail("channel validation: " + valid.error().message());
    if (valid->size() > 1) return fail("channel validation must hold one file");
    if (!valid->empty()) o.valid_file = valid->front();
  }
  // Channels may be read-only: no caches beside them.
  o.load.cache = false;
  o.out = root + "/model";
  std::string why;
  const int code = RunTrain(o, &why);
  if (code != kExitOk) return fail(why);
  return kExitOk;
}

}  // namespace promorec::app
