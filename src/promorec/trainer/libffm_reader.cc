#include "promorec/trainer/libffm_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>

#include "promorec/event/line_reader.h"

namespace promorec::trainer {
namespace {

constexpr std::size_t kMaxLineBytes = 1 << 20;
constexpr std::size_t kMaxErrorsKept = 20;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string Quote(std::string_view token) {
  return "'" + std::string(token.substr(0, 60)) + (token.size() > 60 ? "...'" : "'");
}

template <typename T>
bool ParseWhole(std::string_view text, T* value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

// The token-by-token parser: finds each token's colons, parses each part
// separately and says exactly what is wrong with a bad token. Features of
// the tokens before a bad one stay appended.
base::Result<float> ParseLibffmLineReference(std::string_view line,
                                             std::vector<model::Feature>* features,
                                             LibffmLabels labels) {
  std::size_t pos = 0;
  std::size_t token_number = 0;
  float label = 0;
  while (true) {
    while (pos < line.size() && IsSpace(line[pos])) ++pos;
    if (pos >= line.size()) break;
    std::size_t end = pos;
    while (end < line.size() && !IsSpace(line[end])) ++end;
    const std::string_view token = line.substr(pos, end - pos);
    pos = end;
    ++token_number;
    if (token_number == 1 && labels == LibffmLabels::kReal) {
      // from_chars takes no '+': skip one, but not before a '-'.
      const bool plus = token.front() == '+';
      const char* first = token.data() + (plus ? 1 : 0);
      const auto [parsed_end, ec] = std::from_chars(first, token.data() + token.size(), label);
      if ((plus && first != token.data() + token.size() && *first == '-') || ec != std::errc() ||
          parsed_end != token.data() + token.size() || !std::isfinite(label)) {
        return base::InvalidArgument("label " + Quote(token) + " is not a finite number");
      }
      continue;
    }
    if (token_number == 1) {
      if (token == "1" || token == "+1") {
        label = 1;
      } else if (token == "0" || token == "-1") {
        label = 0;
      } else {
        return base::InvalidArgument("label " + Quote(token) + " must be 1, 0 or -1");
      }
      continue;
    }
    const std::size_t c1 = token.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : token.find(':', c1 + 1);
    const auto where = [&] {
      return "token " + std::to_string(token_number) + " " + Quote(token) + ": ";
    };
    if (c2 == std::string_view::npos || token.find(':', c2 + 1) != std::string_view::npos) {
      return base::InvalidArgument(where() + "expected field:index:value");
    }
    model::Feature f;
    if (!ParseWhole(token.substr(0, c1), &f.field)) {
      return base::InvalidArgument(where() + "field is not a whole number");
    }
    if (f.field > kMaxLibffmField) {
      return base::InvalidArgument(where() + "field is above " + std::to_string(kMaxLibffmField));
    }
    if (!ParseWhole(token.substr(c1 + 1, c2 - c1 - 1), &f.index)) {
      return base::InvalidArgument(where() + "index is not a whole number below 2^32");
    }
    const std::string_view value = token.substr(c2 + 1);
    if (value == "1") {  // one-hot, nearly every feature: skip the float parser
      f.value = 1.0f;
    } else if (!ParseWhole(value, &f.value) || !std::isfinite(f.value)) {
      return base::InvalidArgument(where() + "value is not a finite number");
    }
    features->push_back(f);
  }
  if (token_number == 0) return base::InvalidArgument("empty line");
  return label;
}

namespace {

// Digit value of `c`, or something above 9 when `c` is not a decimal digit.
std::uint32_t DigitValue(char c) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(c)) - std::uint32_t{'0'};
}

// One forward pass over the line for the common shape: a label, then
// field:index:value tokens with decimal field and index. Returns false on
// anything else (including every bad line); the features appended so far
// are then left for the caller to drop. Accepts only lines that
// ParseLibffmLineReference accepts, with the same label and features.
bool ParseLibffmLineFast(std::string_view line, std::vector<model::Feature>* features, float* label,
                         LibffmLabels labels) {
  const char* p = line.data();
  const char* const end = p + line.size();
  while (p != end && IsSpace(*p)) ++p;
  if (p == end) return false;
  if (*p == '1') {
    *label = 1.0f;
  } else if (*p == '0') {
    *label = 0.0f;
  } else if (*p == '+' || *p == '-') {
    *label = *p == '+' ? 1.0f : labels == LibffmLabels::kReal ? -1.0f : 0.0f;
    ++p;
    if (p == end || *p != '1') return false;
  } else {
    return false;
  }
  ++p;
  if (p != end && !IsSpace(*p)) return false;
  while (true) {
    while (p != end && IsSpace(*p)) ++p;
    if (p == end) return true;
    model::Feature f;
    // Field: digits, at most kMaxLibffmField. The value never shrinks as
    // digits are added, so the bound holds on every step and the product
    // cannot overflow.
    const char* digits = p;
    std::uint32_t field = 0;
    for (std::uint32_t d; p != end && (d = DigitValue(*p)) <= 9; ++p) {
      field = field * 10 + d;
      if (field > kMaxLibffmField) return false;
    }
    if (p == digits || p == end || *p != ':') return false;
    ++p;
    // Index: digits, below 2^32; accumulated in 64 bits to see overflow.
    digits = p;
    std::uint64_t index = 0;
    for (std::uint32_t d; p != end && (d = DigitValue(*p)) <= 9; ++p) {
      index = index * 10 + d;
      if (index > std::numeric_limits<std::uint32_t>::max()) return false;
    }
    if (p == digits || p == end || *p != ':') return false;
    ++p;
    f.field = field;
    f.index = static_cast<std::uint32_t>(index);
    if (p != end && *p == '1' && (p + 1 == end || IsSpace(p[1]))) {
      f.value = 1.0f;  // one-hot, nearly every feature
      ++p;
    } else {
      const char* value_end = p;
      while (value_end != end && !IsSpace(*value_end)) ++value_end;
      if (value_end == p) return false;
      const auto [parsed_end, ec] = std::from_chars(p, value_end, f.value);
      if (ec != std::errc() || parsed_end != value_end || !std::isfinite(f.value)) return false;
      p = value_end;
    }
    features->push_back(f);
  }
}

}  // namespace

base::Result<float> ParseLibffmLine(std::string_view line, std::vector<model::Feature>* features,
                                    LibffmLabels labels) {
  const std::size_t size_before = features->size();
  float label = 0;
  if (ParseLibffmLineFast(line, features, &label, labels)) return label;
  // Whatever the fast pass did not take, including every bad line, goes to
  // the reference parser, which gives the error message.
  features->resize(size_before);
  return ParseLibffmLineReference(line, features, labels);
}

namespace {

// Bytes [begin, end) of a random-access file, read front to back.
class RangeFile final : public base::SequentialFile {
 public:
  RangeFile(std::shared_ptr<base::RandomAccessFile> file, std::uint64_t begin, std::uint64_t end)
      : file_(std::move(file)), at_(begin), end_(end) {}
  base::Result<std::size_t> Read(std::span<char> buf) override {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), end_ - at_));
    if (want == 0) return std::size_t{0};
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file_->ReadAt(at_, buf.first(want)));
    at_ += got;
    return got;
  }

 private:
  std::shared_ptr<base::RandomAccessFile> file_;
  std::uint64_t at_;
  std::uint64_t end_;
};

struct Error {
  std::uint64_t line;  // within the part
  std::string message;
};

struct Part {
  Dataset data;
  LibffmReport report;
  std::vector<Error> errors;
  std::uint64_t lines = 0;
  bool stopped = false;
  base::Status status;
};

void ReadPart(std::unique_ptr<base::SequentialFile> file, std::uint64_t bytes, bool stop_on_error,
              LibffmLabels labels, Part* part) {
  event::LineReader reader(std::move(file), kMaxLineBytes);
  // One-hot click rows run about 9 bytes a feature and 60 a row; reserving
  // by the size avoids copying the arrays as they grow (reserved but unused
  // capacity costs address space, not memory).
  part->data.Reserve(static_cast<std::size_t>(bytes / 40), static_cast<std::size_t>(bytes / 7));
  std::vector<model::Feature> features;
  event::Line line;
  while (true) {
    auto more = reader.Next(&line);
    if (!more) {
      part->status = std::unexpected(more.error());
      return;
    }
    if (!*more) break;
    part->lines = line.number;
    if (!line.too_long && line.text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++part->report.rows_read;
    features.clear();
    auto label = line.too_long ? base::Result<float>(base::InvalidArgument(
                                     "line is " + std::to_string(line.length) +
                                     " bytes, the limit is " + std::to_string(kMaxLineBytes)))
                               : ParseLibffmLine(line.text, &features, labels);
    if (!label) {
      ++part->report.rejected;
      if (part->errors.size() < kMaxErrorsKept)
        part->errors.push_back({line.number, label.error().message()});
      if (stop_on_error) {
        part->stopped = true;
        return;
      }
      continue;
    }
    ++part->report.accepted;
    part->data.AddRow(*label, features);
  }
}

// Cut points at line starts that split the file into about equal parts.
base::Result<std::vector<std::uint64_t>> SplitAtLines(const base::RandomAccessFile& file,
                                                      std::uint64_t size, std::size_t parts) {
  std::vector<std::uint64_t> cuts{0};
  std::string buf(1 << 16, '\0');
  for (std::size_t p = 1; p < parts; ++p) {
    std::uint64_t at = std::max(cuts.back(), size * p / parts);
    while (at < size) {
      PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file.ReadAt(at, buf));
      if (got == 0) break;
      const auto* nl = static_cast<const char*>(std::memchr(buf.data(), '\n', got));
      if (nl != nullptr) {
        at += static_cast<std::uint64_t>(nl - buf.data()) + 1;
        break;
      }
      at += got;
    }
    cuts.push_back(std::min(at, size));
  }
  cuts.push_back(size);
  return cuts;
}

}  // namespace

base::Result<LibffmReport> ReadLibffmFile(base::Env& env, const std::string& path, Dataset* dataset,
                                          bool stop_on_error, int threads,
                                          std::uint64_t min_part_bytes, LibffmLabels labels) {
  PROMOREC_ASSIGN_OR_RETURN(std::unique_ptr<base::RandomAccessFile> opened,
                            env.NewRandomAccessFile(path));
  std::shared_ptr<base::RandomAccessFile> file = std::move(opened);
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  const auto parts = static_cast<std::size_t>(std::clamp<std::uint64_t>(
      size / std::max<std::uint64_t>(1, min_part_bytes), 1, static_cast<std::uint64_t>(threads)));
  PROMOREC_ASSIGN_OR_RETURN(const auto cuts, SplitAtLines(*file, size, parts));
  std::vector<Part> results(parts);
  std::vector<std::thread> workers;
  for (std::size_t p = 0; p < parts; ++p) {
    auto range = std::make_unique<RangeFile>(file, cuts[p], cuts[p + 1]);
    const std::uint64_t bytes = cuts[p + 1] - cuts[p];
    if (p + 1 == parts) {
      ReadPart(std::move(range), bytes, stop_on_error, labels, &results[p]);
    } else {
      workers.emplace_back(
          [&results, p, bytes, stop_on_error, labels, r = std::move(range)]() mutable {
            ReadPart(std::move(r), bytes, stop_on_error, labels, &results[p]);
          });
    }
  }
  for (auto& w : workers) w.join();
  LibffmReport report;
  std::uint64_t lines_before = 0;
  for (Part& part : results) {
    if (!part.status) return std::unexpected(part.status.error());
    for (const Error& e : part.errors) {
      std::string message = path + ":" + std::to_string(lines_before + e.line) + ": " + e.message;
      if (stop_on_error) return base::InvalidArgument(std::move(message));
      if (report.errors.size() < kMaxErrorsKept) report.errors.push_back(std::move(message));
    }
    report.rows_read += part.report.rows_read;
    report.accepted += part.report.accepted;
    report.rejected += part.report.rejected;
    lines_before += part.lines;
    dataset->Append(std::move(part.data));
  }
  return report;
}

}  // namespace promorec::trainer
