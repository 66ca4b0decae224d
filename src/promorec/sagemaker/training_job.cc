#include "promorec/sagemaker/training_job.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "promorec/trainer/hyper_params.h"

namespace promorec::sagemaker {
namespace {

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
base::Status Apply(const std::string& key, const std::string& value, TrainingSettings* o) {
  const auto number = [&](auto* out) -> base::Status {
    if (!ParseNumber(value, out)) {
      return base::InvalidArgument("hyperparameter " + key + "='" + value + "' is not a number");
    }
    return {};
  };
  const auto boolean = [&](bool* out) -> base::Status {
    if (value == "true" || value == "True" || value == "1") {
      *out = true;
    } else if (value == "false" || value == "False" || value == "0") {
      *out = false;
    } else {
      return base::InvalidArgument("hyperparameter " + key + "='" + value +
                                   "' is not true or false");
    }
    return {};
  };
  // The training hyper-parameters, from their one table.
  if (const trainer::HyperParam* param = trainer::FindHyperParam(key); param != nullptr) {
    return trainer::SetHyperParam(*param, value, &o->train);
  }
  if (key == "valid_tail") return number(&o->valid_tail);
  if (key == "serving_only") return boolean(&o->serving_only);
  if (key == "model_type") {
    if (value != "ffm" && value != "fm")
      return base::InvalidArgument("model_type must be ffm or fm");
    o->model_type = value;
    return {};
  }
  if (key == "format") {
    o->format = value;
    return {};
  }
  if (key == "predictor_type") {
    // As SageMaker's factorization machines: a classifier learns logistic
    // loss, a regressor squared loss.
    if (value == "binary_classifier") {
      o->loss = "logistic";
    } else if (value == "regressor") {
      o->loss = "squared";
    } else {
      return base::InvalidArgument("predictor_type '" + value +
                                   "' must be binary_classifier or regressor");
    }
    return {};
  }
  // SageMaker's own keys, and factorization-machine settings that have no
  // counterpart here (the whole data set is one batch stream).
  if (key.starts_with("sagemaker_") || key.starts_with("_") || key == "feature_dim" ||
      key == "mini_batch_size") {
    return {};
  }
  return base::InvalidArgument("unknown hyperparameter '" + key + "'");
}

}  // namespace

base::Result<TrainingJob> ReadTrainingJob(base::Env& env, const std::string& root) {
  TrainingJob job;
  job.model_dir = root + "/model";
  job.failure_path = root + "/output/failure";
  PROMOREC_ASSIGN_OR_RETURN(job.hyperparameters,
                            ReadHyperparameters(env, root + "/input/config/hyperparameters.json"));
  PROMOREC_ASSIGN_OR_RETURN(
      const std::string content_type,
      ContentTypeOf(env, root + "/input/config/inputdataconfig.json", "train"));
  if (!content_type.empty()) {
    const auto format = FormatOf(content_type);
    if (!format)
      return base::InvalidArgument("content type '" + content_type + "' of channel train");
    job.format = *format;
  }
  auto train = ChannelFiles(env, root + "/input/data/train", &job.headers);
  if (!train) return base::InvalidArgument("channel train: " + train.error().message());
  if (train->empty()) return base::InvalidArgument("channel train has no files");
  job.train_files = std::move(*train);
  const std::string valid_dir = root + "/input/data/validation";
  if (env.FileExists(valid_dir).value_or(false)) {
    std::string ignored;
    auto valid = ChannelFiles(env, valid_dir, &ignored);
    if (!valid) return base::InvalidArgument("channel validation: " + valid.error().message());
    if (valid->size() > 1) return base::InvalidArgument("channel validation must hold one file");
    if (!valid->empty()) job.valid_file = valid->front();
  }
  return job;
}

base::Status ApplyHyperparameters(const std::map<std::string, std::string>& hyper,
                                  TrainingSettings* settings) {
  for (const auto& [key, value] : hyper) PROMOREC_RETURN_IF_ERROR(Apply(key, value, settings));
  return {};
}

void WriteFailure(base::Env& env, const TrainingJob& job, const std::string& why) {
  const std::size_t slash = job.failure_path.rfind('/');
  if (slash != std::string::npos) (void)env.CreateDirs(job.failure_path.substr(0, slash));
  (void)base::WriteFileAtomically(env, job.failure_path, why + "\n");
}

}  // namespace promorec::sagemaker
