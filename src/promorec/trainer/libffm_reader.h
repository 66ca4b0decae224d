// The libffm text format: one example per line, `label field:index:value
// ...`, label 1 for a click and 0 or -1 otherwise, separated by spaces or
// tabs. Strict: a bad token is an error naming the line, the token and why;
// a bulk read keeps going past bad lines (or stops, by a flag) and counts
// them. Thread-safety: functions; one reader per thread.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/ffm_kernel.h"
#include "promorec/trainer/dataset.h"

namespace promorec::trainer {

// Fields beyond this are refused: the model has at most 1024 fields.
inline constexpr std::uint32_t kMaxLibffmField = 1023;

// How the first token of a line is read. Clicks: 1 or +1 is 1, 0 or -1 is
// 0, anything else is an error. Real: any finite number, as it is (the
// targets of a regression).
enum class LibffmLabels { kClicks, kReal };

// Parses one line (without its line break); appends the features to
// `features` and returns the label, or why the line is bad.
[[nodiscard]] base::Result<float> ParseLibffmLine(std::string_view line,
                                                  std::vector<model::Feature>* features,
                                                  LibffmLabels labels = LibffmLabels::kClicks);

// The straightforward parser ParseLibffmLine must agree with (tests and
// fuzzing): the same label or error text, and the same features appended.
[[nodiscard]] base::Result<float> ParseLibffmLineReference(
    std::string_view line, std::vector<model::Feature>* features,
    LibffmLabels labels = LibffmLabels::kClicks);

struct LibffmReport {
  std::uint64_t rows_read = 0;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  // "train.ffm:17: token 2 '3:x:1': index is not a whole number", the
  // first few.
  std::vector<std::string> errors;
};

// A thread parses at least this much of a file.
inline constexpr std::uint64_t kLibffmMinPartBytes = 8 << 20;

// Reads `path` into `dataset`. With `stop_on_error` the first bad line ends
// the read with an InvalidArgument error; otherwise bad lines are counted
// and skipped. Blank lines are skipped. A large file is parsed by up to
// `threads` threads, each taking a run of whole lines; the rows keep the
// file's order. A thread gets at least `min_part_bytes` of the file.
[[nodiscard]] base::Result<LibffmReport> ReadLibffmFile(
    base::Env& env, const std::string& path, Dataset* dataset, bool stop_on_error, int threads = 1,
    std::uint64_t min_part_bytes = kLibffmMinPartBytes,
    LibffmLabels labels = LibffmLabels::kClicks);

}  // namespace promorec::trainer
