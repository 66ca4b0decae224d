// Loading labelled examples for `train`, `predict` and `eval`: libffm text
// (through a binary cache beside the file, so that later runs skip the
// text), SageMaker RecordIO-protobuf, and event files (KASANDR, click, JSON)
// through the feature builder. Rejected rows are reported on stderr with
// their reason, and counted.
// Thread-safety: functions for main's thread (they may start workers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/model/feature_dictionary.h"
#include "promorec/trainer/dataset.h"

namespace promorec::app {

struct LoadOptions {
  std::string format = "libffm";  // libffm, recordio, kasandr, click or json
  bool strict = false;            // stop at the first bad row
  int threads = 1;
  bool cache = true;  // libffm: read and write FILE.promorec-cache
  // Events: with `add`, unseen values join the dictionary (training);
  // otherwise they are left out, as at serving time.
  bool add = false;
  // libffm and RecordIO labels are regression targets (any finite number)
  // rather than clicks.
  bool real_labels = false;
};

// Whether `format` names an event format (rows built through a dictionary).
bool IsEventFormat(const std::string& format);
// False (after saying why on stderr) for an unknown format.
bool CheckFormat(const std::string& command, const std::string& format);

// The time span of the events read (event formats only; libffm and
// RecordIO rows carry no time).
struct EventTimes {
  std::uint64_t events = 0;
  std::int64_t first_us = 0;
  std::int64_t last_us = 0;
  void Add(std::int64_t timestamp_us);
};

// `dictionary` is needed for event formats (and for RecordIO, whose keys
// take their field from the dictionary when it has one). `times`, when
// given, also spans the events read.
[[nodiscard]] base::Result<trainer::Dataset> LoadExamples(const std::string& command,
                                                          const std::vector<std::string>& files,
                                                          const LoadOptions& options,
                                                          model::FeatureDictionary* dictionary,
                                                          EventTimes* times = nullptr);

// libffm carries no names: entry i is "<field of its first use>_<i>", the
// training rows looked at first, then the validation rows (when given).
model::FeatureDictionary NumericDictionary(const trainer::Dataset& data,
                                           const trainer::Dataset* valid, std::uint32_t fields,
                                           std::uint32_t features);

}  // namespace promorec::app
