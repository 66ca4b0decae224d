// `promorec generate`: writes a synthetic click data set drawn from a
// planted field-aware preference model, with the true probabilities of the
// test rows so that the oracle's logloss and AUC are known.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/app/import_report.h"
#include "promorec/base/env.h"
#include "promorec/base/json_string.h"
#include "promorec/sagemaker/recordio_reader.h"
#include "promorec/sim/dataset.h"
#include "promorec/trainer/libffm_reader.h"

namespace promorec::app {
namespace {

struct GenerateOptions {
  sim::GeneratorConfig config;
  std::string format;
  std::string out_dir;
  bool json = false;
  bool progress = true;
};

std::string FormatOptional(const std::optional<double>& value) {
  if (!value) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", *value);
  return buf;
}

// RecordIO-protobuf output: the libffm files converted record by record,
// with headers.csv naming every index (train.rec, test.rec).
base::Status ConvertToRecordIo(const std::string& dir) {
  base::Env& env = base::DefaultEnv();
  PROMOREC_ASSIGN_OR_RETURN(const std::string headers,
                            base::ReadFileToString(env, dir + "/headers.csv"));
  const auto names = static_cast<std::uint64_t>(std::count(headers.begin(), headers.end(), '\n'));
  for (const char* part : {"train", "test"}) {
    const std::string from = dir + "/" + part + ".ffm";
    trainer::Dataset data;
    PROMOREC_ASSIGN_OR_RETURN(const trainer::LibffmReport report,
                              trainer::ReadLibffmFile(env, from, &data, true, 2));
    (void)report;
    PROMOREC_RETURN_IF_ERROR(
        sagemaker::WriteRecordIoFile(env, dir + "/" + part + ".rec", data, names));
    PROMOREC_RETURN_IF_ERROR(env.RemoveFile(from));
  }
  // meta.json was written for the libffm files; it names the format first.
  PROMOREC_ASSIGN_OR_RETURN(std::string meta, base::ReadFileToString(env, dir + "/meta.json"));
  const std::string_view was = "{\"format\":\"libffm\"";
  if (meta.starts_with(was)) meta.replace(0, was.size(), "{\"format\":\"recordio\"");
  return base::WriteFileAtomically(env, dir + "/meta.json", meta);
}

int RunGenerate(GenerateOptions options) {
  const bool recordio = options.format == "recordio";
  if (recordio) options.format = "libffm";
  auto format = sim::ParseOutputFormat(options.format);
  if (!format) {
    std::fprintf(stderr, "promorec generate: --format: %s\n", format.error().message().c_str());
    return kExitUnavailable;
  }
  if (auto valid = sim::ValidateConfig(options.config); !valid) {
    std::fprintf(stderr, "promorec generate: %s\n", valid.error().message().c_str());
    return kExitUnavailable;
  }
  ProgressLine progress(options.progress && isatty(STDERR_FILENO) == 1, "generate");
  const auto started = std::chrono::steady_clock::now();
  auto summary = sim::WriteDataset(base::DefaultEnv(), options.out_dir, options.config, *format,
                                   [&progress](std::uint64_t rows) { progress.Update(0, rows); });
  progress.Finish();
  if (!summary) {
    std::fprintf(stderr, "promorec generate: %s\n", summary.error().ToString().c_str());
    return summary.error().code() == base::Code::kInvalidArgument ? kExitUnavailable : kExitFailure;
  }
  if (recordio) {
    if (auto converted = ConvertToRecordIo(options.out_dir); !converted) {
      std::fprintf(stderr, "promorec generate: %s\n", converted.error().ToString().c_str());
      return kExitFailure;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (options.json) {
    // meta.json's object with the run's time and directory added: MetaJson
    // ends in "}\n", which is reopened here.
    std::string out = sim::MetaJson(options.config, *format, *summary);
    out.resize(out.size() - 2);
    char tail[48];
    std::snprintf(tail, sizeof tail, ",\"seconds\":%.3f,\"out\":", seconds);
    out.append(tail);
    base::AppendJsonString(options.out_dir, &out);
    out.append("}\n");
    std::fwrite(out.data(), 1, out.size(), stdout);
    return kExitOk;
  }
  std::printf(
      "generated %llu rows (%llu train, %llu test) into %s in %.2f s\n"
      "click rate %.4f (train %.4f, test %.4f), bias %.4f\n"
      "oracle on the test rows: logloss %s, AUC %s\n",
      static_cast<unsigned long long>(options.config.rows),
      static_cast<unsigned long long>(summary->train_rows),
      static_cast<unsigned long long>(summary->test_rows), options.out_dir.c_str(), seconds,
      summary->ClickRate(),
      summary->train_rows == 0
          ? 0.0
          : static_cast<double>(summary->train_clicks) / static_cast<double>(summary->train_rows),
      summary->test_rows == 0
          ? 0.0
          : static_cast<double>(summary->test_clicks) / static_cast<double>(summary->test_rows),
      summary->bias, FormatOptional(summary->oracle_logloss).c_str(),
      FormatOptional(summary->oracle_auc).c_str());
  return kExitOk;
}

}  // namespace

void RegisterGenerateCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* command = app.add_subcommand(
      "generate",
      "generate synthetic click data from planted preferences: time-ordered train and test "
      "files, the true click probability of every test row, and meta.json");
  sim::GeneratorConfig& config = options->config;
  command->add_option("--rows", config.rows, "rows in total (train + test)")->required();
  command->add_option("--users", config.users, "distinct users (Zipf-popular)")->required();
  command->add_option("--offers", config.offers, "distinct offers (Zipf-popular)")->required();
  command->add_option("--seed", config.seed, "random seed; the same seed gives the same files")
      ->capture_default_str();
  command
      ->add_option("--format", options->format,
                   "kasandr, click, libffm, ndjson or recordio (SageMaker RecordIO-protobuf)")
      ->required();
  command->add_option("--out", options->out_dir, "output directory (created if missing)")
      ->required();
  command->add_option("--test-fraction", config.test_fraction, "last fraction of rows for test")
      ->capture_default_str();
  command->add_option("--zipf-exponent", config.zipf_exponent, "popularity skew of users, offers")
      ->capture_default_str();
  command
      ->add_option("--latent-scale", config.latent_scale,
                   "standard deviation of the planted latent coordinates")
      ->capture_default_str();
  command
      ->add_option("--click-rate", config.target_click_rate,
                   "expected click rate the bias is tuned to")
      ->capture_default_str();
  command->add_flag("--json", options->json, "print the summary as one JSON object");
  command->add_flag("!--no-progress", options->progress, "no progress line on a terminal");
  command->callback([options, &result] { result.exit_code = RunGenerate(*options); });
}

}  // namespace promorec::app
