// SageMaker's RecordIO-protobuf training format, the input of its built-in
// factorization-machines algorithm: a stream of framed records, each an
// `aialgs.data.Record` protobuf message holding one example
// (docs/formats/recordio-protobuf.md). The reader turns each record into
// one Dataset row and reports bad records by file, record number and byte
// offset; after damaged framing it finds the next record and keeps going
// (or stops, by a flag). The writer produces the same format, for tests and
// for generating data SageMaker can train on.
// Thread-safety: functions without shared state; one call per file at a
// time.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/ffm_kernel.h"
#include "promorec/trainer/dataset.h"

namespace promorec::trainer {

// The first word of every frame, little-endian.
inline constexpr std::uint32_t kRecordIoMagic = 0xced7230a;
// A record (all its parts joined) larger than this is refused: real
// examples are a few hundred bytes, and the cap bounds memory on bad input.
inline constexpr std::uint32_t kMaxRecordIoPayload = 64u << 20;

// Parses one record payload (a serialized aialgs.data.Record). Appends the
// row's features to `*out` and returns its label (1 or 0), or why the
// record is unusable, in which case `*out` is left as it was. A feature's
// index is its key (sparse) or position (dense, zeros skipped); its field is
// (*field_of_index)[index] when that exists, else 0.
std::expected<float, std::string> ParseRecordIoPayload(
    std::string_view payload, const std::vector<std::uint32_t>* field_of_index,
    std::vector<model::Feature>* out);

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
base::Result<RecordIoReport> ReadRecordIoFile(base::Env& env, const std::string& path,
                                              const std::vector<std::uint32_t>* field_of_index,
                                              Dataset* dataset, bool stop_on_error);

// Frames one payload: magic, length word, bytes, zero padding to a multiple
// of 4. A payload that holds the magic at a 4-byte-aligned position is
// split there into a multi-part record (the magic itself is left out and
// restored by readers), so that a reader looking for the next record after
// damage never mistakes payload bytes for a frame.
std::string FrameRecordIoPayload(std::string_view payload);

// One framed record for `row`: features["values"] a sparse Float32Tensor
// (keys = indices, shape = [num_features]) and label["values"] = [label].
// Fields are not stored: the format has no notion of them. Every index must
// be below num_features for a reader to accept the record.
std::string EncodeRecordIoRecord(std::span<const model::Feature> row, float label,
                                 std::uint64_t num_features);

// Writes every row of `dataset` to `path` (replacing it). InvalidArgument
// when a row holds an index at or above `num_features`; nothing is written
// then.
base::Status WriteRecordIoFile(base::Env& env, const std::string& path, const Dataset& dataset,
                               std::uint64_t num_features);

}  // namespace promorec::trainer
