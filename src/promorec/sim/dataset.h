// Writes a synthetic data set to a directory: train and test files in one
// of the event or training formats, the true click probability of every
// test row (so the oracle's logloss and AUC are known), a feature
// dictionary for libffm, and meta.json describing the set. The same config
// and format always give byte-identical files.
// Thread-safety: WriteDataset is reentrant; callbacks run on the caller's
// thread.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/sim/planted_model.h"

namespace promorec::sim {

enum class OutputFormat : std::uint8_t { kKasandr, kClick, kLibffm, kNdjson };

// "kasandr", "click", "libffm" or "ndjson".
[[nodiscard]] base::Result<OutputFormat> ParseOutputFormat(std::string_view name);
std::string_view OutputFormatName(OutputFormat format);
// "csv", "csv", "ffm", "ndjson": the train and test files are train.<ext>
// and test.<ext>.
std::string_view FileExtension(OutputFormat format);

struct DatasetSummary {
  std::uint64_t train_rows = 0;
  std::uint64_t test_rows = 0;
  std::uint64_t train_clicks = 0;
  std::uint64_t test_clicks = 0;
  std::uint32_t merchants = 0;
  std::uint32_t categories = 0;
  double bias = 0;
  // Computed from the test rows' true probabilities and sampled labels;
  // absent when the test set is empty or has a single class.
  std::optional<double> oracle_logloss;
  std::optional<double> oracle_auc;
  // Distinct (field, value) features; libffm only.
  std::uint64_t features = 0;
  std::uint64_t bytes_written = 0;

  double ClickRate() const;
};

// Rows from the end of the data that form the test set.
std::uint64_t TestRows(const GeneratorConfig& config);

using ProgressFn = std::function<void(std::uint64_t rows_done)>;

// Creates `dir` if needed and writes train.<ext>, test.<ext>,
// test_truth.txt, meta.json and, for libffm, headers.csv, replacing files
// of those names. An invalid config is kInvalidArgument; I/O failures keep
// their codes and name the file.
[[nodiscard]] base::Result<DatasetSummary> WriteDataset(base::Env& env, const std::string& dir,
                                                        const GeneratorConfig& config,
                                                        OutputFormat format,
                                                        const ProgressFn& progress = {});

// The contents of meta.json: one JSON object and a line break. Nothing in it
// depends on the run (no times), so repeated runs stay byte-identical.
std::string MetaJson(const GeneratorConfig& config, OutputFormat format,
                     const DatasetSummary& summary);

}  // namespace promorec::sim
