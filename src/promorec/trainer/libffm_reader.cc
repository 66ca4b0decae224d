#include "promorec/trainer/libffm_reader.h"

#include <charconv>
#include <cmath>

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

std::expected<float, std::string> ParseLibffmLine(std::string_view line,
                                                  std::vector<model::Feature>* features) {
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
    if (token_number == 1) {
      if (token == "1" || token == "+1") {
        label = 1;
      } else if (token == "0" || token == "-1") {
        label = 0;
      } else {
        return std::unexpected("label " + Quote(token) + " must be 1, 0 or -1");
      }
      continue;
    }
    const std::size_t c1 = token.find(':');
    const std::size_t c2 = c1 == std::string_view::npos ? c1 : token.find(':', c1 + 1);
    const std::string where = "token " + std::to_string(token_number) + " " + Quote(token) + ": ";
    if (c2 == std::string_view::npos || token.find(':', c2 + 1) != std::string_view::npos) {
      return std::unexpected(where + "expected field:index:value");
    }
    model::Feature f;
    if (!ParseWhole(token.substr(0, c1), &f.field)) {
      return std::unexpected(where + "field is not a whole number");
    }
    if (f.field > kMaxLibffmField) {
      return std::unexpected(where + "field is above " + std::to_string(kMaxLibffmField));
    }
    if (!ParseWhole(token.substr(c1 + 1, c2 - c1 - 1), &f.index)) {
      return std::unexpected(where + "index is not a whole number below 2^32");
    }
    if (!ParseWhole(token.substr(c2 + 1), &f.value) || !std::isfinite(f.value)) {
      return std::unexpected(where + "value is not a finite number");
    }
    features->push_back(f);
  }
  if (token_number == 0) return std::unexpected("empty line");
  return label;
}

base::Result<LibffmReport> ReadLibffmFile(base::Env& env, const std::string& path, Dataset* dataset,
                                          bool stop_on_error) {
  PROMOREC_ASSIGN_OR_RETURN(auto reader, event::LineReader::Open(env, path, kMaxLineBytes));
  LibffmReport report;
  std::vector<model::Feature> features;
  event::Line line;
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const bool more, reader->Next(&line));
    if (!more) break;
    if (!line.too_long && line.text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++report.rows_read;
    features.clear();
    auto label = line.too_long ? std::expected<float, std::string>(std::unexpected(
                                     "line is " + std::to_string(line.length) +
                                     " bytes, the limit is " + std::to_string(kMaxLineBytes)))
                               : ParseLibffmLine(line.text, &features);
    if (!label) {
      std::string message = path + ":" + std::to_string(line.number) + ": " + label.error();
      if (stop_on_error) return base::InvalidArgument(std::move(message));
      ++report.rejected;
      if (report.errors.size() < kMaxErrorsKept) report.errors.push_back(std::move(message));
      continue;
    }
    ++report.accepted;
    dataset->AddRow(*label, features);
  }
  return report;
}

}  // namespace promorec::trainer
