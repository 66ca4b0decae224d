#include "promorec/base/http1.h"

#include <algorithm>
#include <charconv>

#include "promorec/base/strings.h"

namespace promorec::base::http1 {
namespace {

bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

bool IsToken(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, IsTokenChar);
}

Result<std::pair<std::string_view, std::string_view>> ParseFieldLine(std::string_view line) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    return InvalidArgument("folded header lines are not accepted");
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    return InvalidArgument("malformed header line '" + std::string(line.substr(0, 64)) + "'");
  }
  const std::string_view value = Trim(line.substr(colon + 1));
  for (const char c : value) {
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
      return InvalidArgument("header " + std::string(line.substr(0, colon)) +
                             " has a control character");
    }
  }
  return std::pair{line.substr(0, colon), value};
}

std::optional<std::uint64_t> ParseContentLength(std::string_view value) {
  std::uint64_t length = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
    return std::nullopt;
  }
  return length;
}

bool ListsToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = std::min(value.find(','), value.size());
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    value.remove_prefix(std::min(comma + 1, value.size()));
  }
  return false;
}

bool KeepsAlive(int minor, std::string_view connection) {
  return minor >= 1 ? !ListsToken(connection, "close") : ListsToken(connection, "keep-alive");
}

void ChunkedScanner::Reset(std::size_t start) {
  start_ = start;
  scan_ = start;
  total_ = 0;
  done_ = false;
  message_.clear();
}

ChunkedScanner::Outcome ChunkedScanner::Bad(std::string message) {
  message_ = std::move(message);
  return Outcome::kBad;
}

ChunkedScanner::Outcome ChunkedScanner::Scan(std::string_view input) {
  while (!done_) {
    if (input.size() < scan_) return Outcome::kNeedMore;
    const std::size_t line_end = input.find("\r\n", scan_);
    // The limit holds whether the line's end has arrived or not (its CRLF
    // may still be on the way), so that the answer does not depend on how
    // the bytes were split into reads.
    if (line_end == std::string_view::npos ? input.size() - scan_ > limits_.max_line + 2
                                           : line_end - scan_ > limits_.max_line) {
      return Bad("chunk size line too long");
    }
    if (line_end == std::string_view::npos) return Outcome::kNeedMore;
    std::string_view line = input.substr(scan_, line_end - scan_);
    line = Trim(line.substr(0, std::min(line.find(';'), line.size())));
    std::uint64_t size = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || line.size() > 15 || ec != std::errc() || ptr != line.data() + line.size()) {
      return Bad("malformed chunk size '" + std::string(line.substr(0, 32)) + "'");
    }
    const std::size_t data = line_end + 2;
    if (size == 0) {
      const std::size_t trailers_end =
          input.substr(data, 2) == "\r\n" ? data + 2 : input.find("\r\n\r\n", data);
      if (trailers_end == std::string_view::npos
              ? input.size() - data > limits_.max_trailer_bytes + 4
              : trailers_end - data > limits_.max_trailer_bytes) {
        return Bad("trailers too long");
      }
      if (trailers_end == std::string_view::npos) return Outcome::kNeedMore;
      done_ = true;
      scan_ = trailers_end == data + 2 ? trailers_end : trailers_end + 4;
      break;
    }
    if (total_ + size > limits_.max_body_bytes) return Outcome::kTooLarge;
    if (input.size() < data + size + 2) return Outcome::kNeedMore;
    if (input.substr(data + size, 2) != "\r\n") return Bad("a chunk is not followed by CRLF");
    total_ += size;
    scan_ = data + size + 2;
  }
  return Outcome::kDone;
}

void ChunkedScanner::Decode(std::string_view input, std::string* body) const {
  body->reserve(body->size() + total_);
  std::size_t at = start_;
  while (true) {
    const std::size_t line_end = input.find("\r\n", at);
    std::string_view line = input.substr(at, line_end - at);
    line = Trim(line.substr(0, std::min(line.find(';'), line.size())));
    std::uint64_t size = 0;
    std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (size == 0) return;
    body->append(input.substr(line_end + 2, size));
    at = line_end + 2 + size + 2;
  }
}

}  // namespace promorec::base::http1
