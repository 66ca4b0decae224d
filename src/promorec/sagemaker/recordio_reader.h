// SageMaker's RecordIO-protobuf training files, the input of its built-in
// factorization-machines algorithm, as Datasets: the reader turns each
// record into one row and reports bad records by file, record number and
// byte offset; after damaged framing it finds the next record and keeps
// going (or stops, by a flag). The writer produces the same format, for
// tests and for generating data SageMaker can train on. The byte-level
// codec both use is sagemaker/recordio_codec.h; the format is written down in
// docs/formats/recordio-protobuf.md.
// Thread-safety: functions without shared state; one call per file at a
// time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/sagemaker/recordio_codec.h"
#include "promorec/trainer/dataset.h"

namespace promorec::sagemaker {

// How the reader maps feature indices to fields: `field_of_index` may be
// null (plain FM: every field is 0), and fields must fit the trainer::Dataset.
inline sagemaker::RecordIoFields DatasetRecordIoFields(
    const std::vector<std::uint32_t>* field_of_index) {
  return {field_of_index, trainer::kMaxDatasetFields - 1};
}

struct RecordIoReport {
  // Records as the file frames them: a multi-part record counts once, and
  // a stretch of bytes skipped to find the next record counts once.
  std::uint64_t records_read = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  // "train.rec: record 17 (byte 4096): label 'values' missing", the first
  // few.
  std::vector<std::string> errors;
};

// Reads `path` into `dataset`, one row per record. With `stop_on_error`
// the first bad record ends the read with an InvalidArgument error holding
// the same message the report would; otherwise bad records are counted and
// skipped. I/O failures are errors either way. `field_of_index` may be
// null (plain FM: every field is 0).
[[nodiscard]] base::Result<RecordIoReport> ReadRecordIoFile(
    base::Env& env, const std::string& path, const std::vector<std::uint32_t>* field_of_index,
    trainer::Dataset* dataset, bool stop_on_error, bool real_labels = false);

// Writes every row of `dataset` to `path` (replacing it), one
// sagemaker::EncodeRecordIoRecord each. InvalidArgument when a row holds an
// index at or above `num_features`; nothing is written then.
[[nodiscard]] base::Status WriteRecordIoFile(base::Env& env, const std::string& path,
                                             const trainer::Dataset& dataset,
                                             std::uint64_t num_features);

}  // namespace promorec::sagemaker
