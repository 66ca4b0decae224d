#include "promorec/sim/dataset.h"

#include <charconv>
#include <cmath>
#include <memory>
#include <vector>

#include "promorec/base/binary_metrics.h"
#include "promorec/event/timestamp.h"
#include "promorec/sim/generator.h"
#include "promorec/sim/row_encoder.h"

namespace promorec::sim {
namespace {

// Output is handed to the file in pieces of about this size: big enough
// that the per-call cost vanishes, small enough to stay in cache-friendly
// memory.
constexpr std::size_t kFlushBytes = 4 << 20;
constexpr std::uint64_t kProgressEvery = 1 << 16;

class OutputFile {
 public:
  static base::Result<OutputFile> Open(base::Env& env, std::string path) {
    PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
    return OutputFile(std::move(file), std::move(path));
  }

  std::string* buffer() { return &buffer_; }

  base::Status MaybeFlush() {
    if (buffer_.size() < kFlushBytes) return {};
    return Flush();
  }

  base::Status Close() {
    PROMOREC_RETURN_IF_ERROR(Flush());
    if (auto closed = file_->Close(); !closed) return std::unexpected(closed.error());
    return {};
  }

  std::uint64_t bytes() const { return bytes_; }

 private:
  OutputFile(std::unique_ptr<base::WritableFile> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)) {
    buffer_.reserve(kFlushBytes + (64 << 10));
  }

  base::Status Flush() {
    if (auto appended = file_->Append(buffer_); !appended) {
      return std::unexpected(appended.error().WithContext("write " + path_));
    }
    bytes_ += buffer_.size();
    buffer_.clear();
    return {};
  }

  std::unique_ptr<base::WritableFile> file_;
  std::string path_;
  std::string buffer_;
  std::uint64_t bytes_ = 0;
};

void AppendDouble(double value, std::string* out) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, result.ptr);
}

void AppendFixed6(double value, std::string* out) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 6);
  out->append(buf, result.ptr);
}

void AppendOptional(const std::optional<double>& value, std::string* out) {
  if (value) {
    AppendDouble(*value, out);
  } else {
    out->append("null");
  }
}

base::Status WriteSmallFile(base::Env& env, const std::string& path, std::string_view data) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  if (auto s = file->Append(data); !s) return std::unexpected(s.error().WithContext(path));
  if (auto s = file->Close(); !s) return std::unexpected(s.error().WithContext(path));
  return {};
}

}  // namespace

base::Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  if (name == "kasandr") return OutputFormat::kKasandr;
  if (name == "click") return OutputFormat::kClick;
  if (name == "libffm") return OutputFormat::kLibffm;
  if (name == "ndjson") return OutputFormat::kNdjson;
  return base::InvalidArgument("unknown format '" + std::string(name) +
                               "'; use kasandr, click, libffm or ndjson");
}

std::string_view OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kKasandr:
      return "kasandr";
    case OutputFormat::kClick:
      return "click";
    case OutputFormat::kLibffm:
      return "libffm";
    case OutputFormat::kNdjson:
      return "ndjson";
  }
  return "unknown";
}

std::string_view FileExtension(OutputFormat format) {
  switch (format) {
    case OutputFormat::kKasandr:
    case OutputFormat::kClick:
      return "csv";
    case OutputFormat::kLibffm:
      return "ffm";
    case OutputFormat::kNdjson:
      return "ndjson";
  }
  return "txt";
}

double DatasetSummary::ClickRate() const {
  const std::uint64_t rows = train_rows + test_rows;
  return rows == 0 ? 0.0
                   : static_cast<double>(train_clicks + test_clicks) / static_cast<double>(rows);
}

std::uint64_t TestRows(const GeneratorConfig& config) {
  if (config.rows < 2) return 0;
  auto test = static_cast<std::uint64_t>(
      std::llround(static_cast<double>(config.rows) * config.test_fraction));
  // Both sets non-empty whenever there are two rows to split.
  if (test < 1) test = 1;
  if (test > config.rows - 1) test = config.rows - 1;
  return test;
}

base::Result<DatasetSummary> WriteDataset(base::Env& env, const std::string& dir,
                                          const GeneratorConfig& config, OutputFormat format,
                                          const ProgressFn& progress) {
  PROMOREC_ASSIGN_OR_RETURN(const PlantedModel model, PlantedModel::Create(config));
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(dir));
  const std::string ext(FileExtension(format));
  DatasetSummary summary;
  summary.test_rows = TestRows(config);
  summary.train_rows = config.rows - summary.test_rows;
  summary.merchants = model.cardinality(kMerchantField);
  summary.categories = model.cardinality(kCategoryField);
  summary.bias = model.bias();

  RowEncoder encoder(model, format);
  RowGenerator generator(model, config);
  std::vector<double> test_probs;
  std::vector<std::uint8_t> test_labels;
  test_probs.reserve(summary.test_rows);
  test_labels.reserve(summary.test_rows);
  PROMOREC_ASSIGN_OR_RETURN(OutputFile truth, OutputFile::Open(env, dir + "/test_truth.txt"));
  Row row;
  for (const bool test : {false, true}) {
    PROMOREC_ASSIGN_OR_RETURN(OutputFile out,
                              OutputFile::Open(env, dir + (test ? "/test." : "/train.") + ext));
    encoder.AppendHeader(out.buffer());
    const std::uint64_t first = test ? summary.train_rows : 0;
    const std::uint64_t end = test ? config.rows : summary.train_rows;
    std::uint64_t clicks = 0;
    for (std::uint64_t i = first; i < end; ++i) {
      generator.Next(&row);
      clicks += row.label;
      PROMOREC_RETURN_IF_ERROR(encoder.Append(row, out.buffer()));
      PROMOREC_RETURN_IF_ERROR(out.MaybeFlush());
      if (test) {
        test_probs.push_back(row.probability);
        test_labels.push_back(row.label);
        AppendFixed6(row.probability, truth.buffer());
        truth.buffer()->push_back('\n');
        PROMOREC_RETURN_IF_ERROR(truth.MaybeFlush());
      }
      if (progress && (i + 1) % kProgressEvery == 0) progress(i + 1);
    }
    PROMOREC_RETURN_IF_ERROR(out.Close());
    summary.bytes_written += out.bytes();
    (test ? summary.test_clicks : summary.train_clicks) = clicks;
  }
  PROMOREC_RETURN_IF_ERROR(truth.Close());
  summary.bytes_written += truth.bytes();
  if (progress) progress(config.rows);

  summary.oracle_logloss = base::LogLoss(test_probs, test_labels);
  summary.oracle_auc = base::Auc(test_probs, test_labels);
  if (format == OutputFormat::kLibffm) {
    summary.features = encoder.features();
    PROMOREC_RETURN_IF_ERROR(WriteSmallFile(env, dir + "/headers.csv", encoder.dictionary()));
    summary.bytes_written += encoder.dictionary().size();
  }
  const std::string meta = MetaJson(config, format, summary);
  PROMOREC_RETURN_IF_ERROR(WriteSmallFile(env, dir + "/meta.json", meta));
  summary.bytes_written += meta.size();
  return summary;
}

std::string MetaJson(const GeneratorConfig& config, OutputFormat format,
                     const DatasetSummary& summary) {
  const std::string ext(FileExtension(format));
  std::string out = "{\"format\":\"";
  out.append(OutputFormatName(format));
  const auto number = [&out](std::string_view key, std::uint64_t value) {
    out.append(",\"").append(key).append("\":").append(std::to_string(value));
  };
  const auto real = [&out](std::string_view key, const std::optional<double>& value) {
    out.append(",\"").append(key).append("\":");
    AppendOptional(value, &out);
  };
  out.push_back('"');
  number("rows", config.rows);
  number("train_rows", summary.train_rows);
  number("test_rows", summary.test_rows);
  number("users", config.users);
  number("offers", config.offers);
  number("merchants", summary.merchants);
  number("categories", summary.categories);
  number("seed", config.seed);
  real("test_fraction", config.test_fraction);
  real("zipf_exponent", config.zipf_exponent);
  number("latent_dim", config.latent_dim);
  real("latent_scale", config.latent_scale);
  real("bias", summary.bias);
  real("click_rate", summary.ClickRate());
  real("train_click_rate", summary.train_rows == 0
                               ? std::nullopt
                               : std::optional<double>(static_cast<double>(summary.train_clicks) /
                                                       static_cast<double>(summary.train_rows)));
  real("test_click_rate", summary.test_rows == 0
                              ? std::nullopt
                              : std::optional<double>(static_cast<double>(summary.test_clicks) /
                                                      static_cast<double>(summary.test_rows)));
  real("oracle_logloss", summary.oracle_logloss);
  real("oracle_auc", summary.oracle_auc);
  if (format == OutputFormat::kLibffm) number("features", summary.features);
  out.append(",\"start\":\"");
  event::AppendIso8601(config.start_timestamp_us, &out);
  out.append("\",\"files\":{\"train\":\"train.").append(ext);
  out.append("\",\"test\":\"test.").append(ext);
  out.append("\",\"truth\":\"test_truth.txt\"");
  if (format == OutputFormat::kLibffm) out.append(",\"headers\":\"headers.csv\"");
  out.append("}}\n");
  return out;
}

}  // namespace promorec::sim
