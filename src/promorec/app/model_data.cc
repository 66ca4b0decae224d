#include "promorec/app/model_data.h"

#include <algorithm>
#include <cstdio>

#include "promorec/app/cli_util.h"
#include "promorec/base/crc32c.h"
#include "promorec/base/env.h"
#include "promorec/event/dead_letter.h"
#include "promorec/event/event_file.h"
#include "promorec/features/row_builder.h"
#include "promorec/sagemaker/recordio_reader.h"
#include "promorec/trainer/libffm_reader.h"

namespace promorec::app {
namespace {

void ReportRejections(const std::string& command, const std::string& file,
                      const std::vector<std::string>& errors, std::uint64_t rejected,
                      std::uint64_t read) {
  for (const std::string& e : errors) {
    std::fprintf(stderr, "promorec %s: rejected: %s\n", command.c_str(), e.c_str());
  }
  if (rejected > 0) {
    std::fprintf(stderr, "promorec %s: %s: %llu of %llu rows rejected\n", command.c_str(),
                 file.c_str(), static_cast<unsigned long long>(rejected),
                 static_cast<unsigned long long>(read));
  }
}

base::Status LoadEvents(const std::string& command, const std::string& file,
                        const LoadOptions& options, model::FeatureDictionary* dictionary,
                        trainer::Dataset* data, EventTimes* times) {
  std::vector<model::Feature> row;
  event::MemoryDeadLetter dead_letter;
  PROMOREC_ASSIGN_OR_RETURN(
      const event::ReadStats stats,
      event::ReadEventFile(
          base::DefaultEnv(), file, BaseName(file), *event::ParseInputFormat(options.format),
          [&](const event::ClickEvent& e) {
            if (options.add) {
              features::BuildRowForTraining(dictionary, e, &row);
            } else {
              features::BuildRow(*dictionary, e, &row);
            }
            data->AddRow(e.rating == 1 ? 1.0f : 0.0f, row);
            if (times != nullptr) times->Add(e.timestamp_us);
          },
          dead_letter));
  std::vector<std::string> errors;
  for (std::size_t i = 0; i < dead_letter.rejections().size() && i < 10; ++i) {
    errors.push_back(dead_letter.rejections()[i].ToString());
  }
  if (options.strict && stats.rejected > 0) {
    return base::InvalidArgument(errors.empty() ? file + ": rows rejected" : errors.front());
  }
  ReportRejections(command, file, errors, stats.rejected, stats.rows_read);
  return {};
}

// libffm text through the cache: a cache made from the same bytes is read
// instead of the text; otherwise the text is parsed and the cache
// (re)written. A cache that cannot be written only costs the next run time.
base::Status LoadLibffm(const std::string& command, const std::string& file,
                        const LoadOptions& options, trainer::Dataset* data) {
  base::Env& env = base::DefaultEnv();
  const std::string cache_path = file + ".promorec-cache";
  std::optional<trainer::Dataset::SourceKey> key;
  if (options.cache) {
    PROMOREC_ASSIGN_OR_RETURN(key, trainer::KeyOfFile(env, file));
    // Labels read as clicks and as numbers differ ("-1"): a cache holds
    // one reading, and its key says which.
    if (options.real_labels) key->crc = base::Crc32cExtend(key->crc, "real labels", 11);
    auto cached = trainer::Dataset::ReadCache(env, cache_path, *key);
    if (cached) {
      data->Append(std::move(*cached));
      return {};
    }
    if (cached.error().code() == base::Code::kCorruption) {
      std::fprintf(stderr, "promorec %s: %s; reading the text again\n", command.c_str(),
                   cached.error().message().c_str());
    }
  }
  trainer::Dataset part;
  PROMOREC_ASSIGN_OR_RETURN(
      const trainer::LibffmReport report,
      trainer::ReadLibffmFile(
          env, file, &part, options.strict, options.threads, trainer::kLibffmMinPartBytes,
          options.real_labels ? trainer::LibffmLabels::kReal : trainer::LibffmLabels::kClicks));
  ReportRejections(command, file, report.errors, report.rejected, report.rows_read);
  if (key) {
    if (auto written = part.WriteCache(env, cache_path, *key); !written) {
      std::fprintf(stderr, "promorec %s: no cache for %s: %s\n", command.c_str(), file.c_str(),
                   written.error().ToString().c_str());
    }
  }
  data->Append(std::move(part));
  return {};
}

// RecordIO-protobuf keys are feature indices; their fields come from the
// dictionary (a headers.csv) when there is one, else every field is 0.
base::Status LoadRecordIo(const std::string& command, const std::string& file,
                          const LoadOptions& options, const model::FeatureDictionary* dictionary,
                          trainer::Dataset* data) {
  std::vector<std::uint32_t> field_of;
  if (dictionary != nullptr) {
    for (std::uint32_t i = 0; i < dictionary->explicit_size(); ++i) {
      field_of.push_back(dictionary->field_of(i));
    }
  }
  trainer::Dataset part;
  PROMOREC_ASSIGN_OR_RETURN(
      const sagemaker::RecordIoReport report,
      sagemaker::ReadRecordIoFile(base::DefaultEnv(), file, field_of.empty() ? nullptr : &field_of,
                                  &part, options.strict, options.real_labels));
  ReportRejections(command, file, report.errors, report.rejected, report.records_read);
  data->Append(std::move(part));
  return {};
}

}  // namespace

void EventTimes::Add(std::int64_t timestamp_us) {
  first_us = events == 0 ? timestamp_us : std::min(first_us, timestamp_us);
  last_us = events == 0 ? timestamp_us : std::max(last_us, timestamp_us);
  ++events;
}

bool IsEventFormat(const std::string& format) {
  return event::ParseInputFormat(format).has_value();
}

bool CheckFormat(const std::string& command, const std::string& format) {
  if (format == "libffm" || format == "recordio" || IsEventFormat(format)) return true;
  std::fprintf(stderr,
               "promorec %s: --format %s: expected libffm, recordio, kasandr, click or json\n",
               command.c_str(), format.c_str());
  return false;
}

base::Result<trainer::Dataset> LoadExamples(const std::string& command,
                                            const std::vector<std::string>& files,
                                            const LoadOptions& options,
                                            model::FeatureDictionary* dictionary,
                                            EventTimes* times) {
  trainer::Dataset data;
  for (const std::string& file : files) {
    if (IsEventFormat(options.format)) {
      PROMOREC_RETURN_IF_ERROR(LoadEvents(command, file, options, dictionary, &data, times));
    } else if (options.format == "recordio") {
      PROMOREC_RETURN_IF_ERROR(LoadRecordIo(command, file, options, dictionary, &data));
    } else {
      PROMOREC_RETURN_IF_ERROR(LoadLibffm(command, file, options, &data));
    }
  }
  return data;
}

model::FeatureDictionary NumericDictionary(const trainer::Dataset& data,
                                           const trainer::Dataset* valid, std::uint32_t fields,
                                           std::uint32_t features) {
  std::vector<std::string> names;
  for (std::uint32_t f = 0; f < fields; ++f) names.push_back("field" + std::to_string(f));
  std::vector<std::uint32_t> field_of(features, 0);
  std::vector<bool> seen(features, false);
  for (const trainer::Dataset* set : {&data, valid}) {
    if (set == nullptr) continue;
    for (std::size_t j = 0; j < set->total_features(); ++j) {
      const std::uint32_t index = set->index_at(j);
      if (index < features && !seen[index]) {
        seen[index] = true;
        field_of[index] = set->field_at(j);
      }
    }
  }
  model::FeatureDictionary dictionary(std::move(names));
  for (std::uint32_t i = 0; i < features; ++i) dictionary.Add(field_of[i], std::to_string(i));
  return dictionary;
}

}  // namespace promorec::app
