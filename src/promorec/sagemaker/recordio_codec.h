// SageMaker's RecordIO-protobuf format at the level of bytes: cutting a
// stream into framed records (multi-part records joined, damaged framing
// skipped up to the next record), turning one record payload (an
// `aialgs.data.Record` protobuf message) into a sparse row, and writing
// records back out. The trainer reads training files with it
// (sagemaker/recordio_reader.h) and the SageMaker /invocations route reads
// request bodies and writes responses with it. The format:
// docs/formats/recordio-protobuf.md.
// Thread-safety: the functions are pure. A RecordIoFramer is one reader's
// state (one thread at a time); the file or bytes it reads must outlive it.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::sagemaker {

// The first word of every frame, little-endian.
inline constexpr std::uint32_t kRecordIoMagic = 0xced7230a;
// A record (all its parts joined) larger than this is refused: real
// examples are a few hundred bytes, and the cap bounds memory on bad input.
inline constexpr std::uint32_t kMaxRecordIoPayload = 64u << 20;

// How feature indices get their fields: (*field_of_index)[index] when that
// exists, else 0 (`field_of_index` may be null: plain FM). A field above
// `max_field` makes the record unusable.
struct RecordIoFields {
  const std::vector<std::uint32_t>* field_of_index = nullptr;
  std::uint32_t max_field = 0xffffffffu;
  // Labels of a regression (any finite number) rather than clicks (0 or 1).
  bool real_labels = false;
};

// Parses one training payload: appends the row's features to `*out` and
// returns its label (1 or 0; any finite number with real_labels), or why the record is unusable, in
// which case
// `*out` is left as it was. A feature's index is its key (sparse) or
// position (dense, zeros skipped).
[[nodiscard]] base::Result<float> ParseRecordIoPayload(std::string_view payload,
                                                       const RecordIoFields& fields,
                                                       std::vector<model::Feature>* out);

// The same for an inference payload: features only; a label, if present, is
// not looked at.
[[nodiscard]] base::Status ParseRecordIoFeatures(std::string_view payload,
                                                 const RecordIoFields& fields,
                                                 std::vector<model::Feature>* out);

// The single value of the Float32Tensor label[`name`] of a payload (for
// reading inference responses: "score", "predicted_label").
[[nodiscard]] base::Result<float> ParseRecordIoLabelValue(std::string_view payload,
                                                          std::string_view name);

// Where one record ends and what it holds.
struct RecordIoFrame {
  // Where the next record starts; always past the record's start.
  std::uint64_t end = 0;
  // Why the record's framing is unusable; empty when `payload` holds a
  // whole record.
  std::string error;
  // Valid until the framer's next call.
  std::string_view payload;
};

// Cuts a file or a buffer into records: checks each frame, joins
// multi-part records, and after damaged framing finds where the next record
// starts.
class RecordIoFramer {
 public:
  // Reads `file` of `size` bytes; `name` only goes into I/O error messages.
  RecordIoFramer(const base::RandomAccessFile& file, std::uint64_t size, std::string name);
  // Reads `bytes` (an HTTP body, say), which must outlive the framer.
  explicit RecordIoFramer(std::string_view bytes);

  RecordIoFramer(const RecordIoFramer&) = delete;
  RecordIoFramer& operator=(const RecordIoFramer&) = delete;

  std::uint64_t size() const { return size_; }

  // The record that starts at `start` (< size()). Errors are I/O failures
  // only (never for a buffer); bad records come back as a frame's `error`.
  [[nodiscard]] base::Result<RecordIoFrame> Next(std::uint64_t start);

 private:
  // Bytes [offset, offset + n), which must lie inside the input.
  [[nodiscard]] base::Result<std::string_view> View(std::uint64_t offset, std::size_t n);
  // The record at `start` is unusable because of its framing: everything up
  // to the next plausible frame at or after `from` is one bad record.
  [[nodiscard]] base::Result<RecordIoFrame> Skip(std::uint64_t start, std::uint64_t from,
                                                 const std::string& reason);

  const base::RandomAccessFile* file_ = nullptr;  // null: reading `bytes_`
  std::string_view bytes_;
  std::uint64_t size_ = 0;
  std::string name_;
  std::string window_;
  std::uint64_t window_start_ = 0;
  std::string joined_;
};

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

// One framed record with no features and label[name] = [value] for each
// pair, in order: the shape of a SageMaker inference response record
// ({"score": [0.4], "predicted_label": [0]}). Appends to `*out`.
void AppendRecordIoLabels(std::span<const std::pair<std::string_view, float>> labels,
                          std::string* out);

}  // namespace promorec::sagemaker
