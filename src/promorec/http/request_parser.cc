#include "promorec/http/request_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "promorec/base/http1.h"
#include "promorec/base/strings.h"

namespace promorec::http {
namespace {

ParseResult Error(int status, std::string_view code, std::string message) {
  ParseResult r;
  r.state = ParseResult::State::kError;
  r.status = status;
  r.code = std::string(code);
  r.message = std::move(message);
  return r;
}

ParseResult BadRequest(std::string message) {
  return Error(400, "bad_request", std::move(message));
}

using base::Trim;
using base::http1::IsToken;
using base::http1::ListsToken;

std::string Lower(std::string_view s) { return base::AsciiLower(s); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits the query string into decoded name → value pairs.
bool ParseQuery(std::string_view query, std::map<std::string, std::string>* out) {
  while (!query.empty()) {
    const std::size_t amp = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, amp);
    query.remove_prefix(std::min(amp + 1, query.size()));
    if (pair.empty()) continue;
    const std::size_t eq = std::min(pair.find('='), pair.size());
    std::string name;
    std::string value;
    if (!PercentDecode(pair.substr(0, eq), true, &name)) return false;
    if (eq < pair.size() && !PercentDecode(pair.substr(eq + 1), true, &value)) return false;
    (*out)[std::move(name)] = std::move(value);
  }
  return true;
}

// Fills method, path and query from the request line; the version goes to
// `minor` (0 or 1).
ParseResult ParseRequestLine(std::string_view line, Request* request, int* minor) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return BadRequest("the request line is not 'METHOD TARGET HTTP/1.x'");
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return BadRequest("the method is not a token");
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return BadRequest("the version '" + std::string(version.substr(0, 16)) + "' is not HTTP/1.x");
  }
  if (version[5] != '1') {
    return Error(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
  }
  *minor = version[7] == '0' ? 0 : 1;
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const std::size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || (target[0] != '/' && target != "*")) {
    return BadRequest("the request target must start with '/'");
  }
  for (const char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return BadRequest("the request target has a control character");
    }
  }
  const std::size_t question = std::min(target.find('?'), target.size());
  request->method = std::string(method);
  request->path.clear();
  if (!PercentDecode(target.substr(0, question), false, &request->path) ||
      request->path.find('\0') != std::string::npos) {
    return BadRequest("the path has a malformed %-escape");
  }
  request->query.clear();
  if (question < target.size() && !ParseQuery(target.substr(question + 1), &request->query)) {
    return BadRequest("the query has a malformed %-escape");
  }
  return {};
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexDigit(in[i + 1]);
      const int lo = HexDigit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(plus_is_space && in[i] == '+' ? ' ' : in[i]);
    }
  }
  return true;
}

ParseResult RequestParser::ParseHead(std::string_view input, Request* request) {
  std::size_t start = 0;
  while (start < input.size() && start < 8 && (input[start] == '\r' || input[start] == '\n')) {
    ++start;
  }
  const std::size_t blank = input.find("\r\n\r\n", start);
  if (blank == std::string_view::npos || blank + 4 - start > limits_.max_header_bytes) {
    if (input.size() - start > limits_.max_header_bytes) {
      return Error(431, "headers_too_large",
                   "the request line and headers exceed " +
                       std::to_string(limits_.max_header_bytes) + " bytes");
    }
    return {};
  }
  std::string_view head = input.substr(start, blank + 2 - start);
  const std::size_t line_end = head.find("\r\n");
  int minor = 1;
  if (ParseResult r = ParseRequestLine(head.substr(0, line_end), request, &minor);
      r.state == ParseResult::State::kError) {
    return r;
  }
  head.remove_prefix(line_end + 2);
  request->headers.clear();
  std::string_view connection;
  bool has_length = false;
  bool has_encoding = false;
  content_length_ = 0;
  chunked_ = false;
  while (!head.empty()) {
    const std::size_t end = head.find("\r\n");
    const std::string_view line = head.substr(0, end);
    head.remove_prefix(end + 2);
    const auto field = base::http1::ParseFieldLine(line);
    if (!field) return BadRequest(field.error().message());
    const std::string_view value = field->second;
    std::string name = Lower(field->first);
    if (name == "content-length") {
      const std::optional<std::uint64_t> length = base::http1::ParseContentLength(value);
      if (!length || (has_length && *length != content_length_)) {
        return BadRequest("Content-Length '" + std::string(value.substr(0, 32)) +
                          "' is not one decimal number");
      }
      has_length = true;
      content_length_ = *length;
    } else if (name == "transfer-encoding") {
      has_encoding = true;
      const std::size_t comma = value.rfind(',');
      const std::string last = Lower(Trim(comma == value.npos ? value : value.substr(comma + 1)));
      if (last != "chunked" || (comma != value.npos && !ListsToken(value, "chunked"))) {
        return Error(501, "not_implemented", "only the chunked transfer coding is accepted");
      }
      chunked_ = true;
    }
    request->headers[std::move(name)] = std::string(value);
  }
  if (has_length && has_encoding) {
    return BadRequest("Content-Length and Transfer-Encoding cannot both be given");
  }
  if (!chunked_ && content_length_ > limits_.max_body_bytes) {
    return Error(413, "body_too_large",
                 "request body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes");
  }
  connection = request->Header("connection");
  keep_alive_ = base::http1::KeepsAlive(minor, connection);
  if (const std::string_view expect = request->Header("expect"); !expect.empty()) {
    if (Lower(expect) != "100-continue") {
      return Error(417, "expectation_failed", "only 'Expect: 100-continue' is understood");
    }
    expects_continue_ = minor == 1;
  }
  head_done_ = true;
  head_end_ = blank + 4;
  chunks_.Reset(head_end_);
  return {};
}

ParseResult RequestParser::ScanChunks(std::string_view input) {
  switch (chunks_.Scan(input)) {
    case base::http1::ChunkedScanner::Outcome::kNeedMore:
      return {};
    case base::http1::ChunkedScanner::Outcome::kBad:
      return BadRequest(chunks_.message());
    case base::http1::ChunkedScanner::Outcome::kTooLarge:
      return Error(413, "body_too_large",
                   "request body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes");
    case base::http1::ChunkedScanner::Outcome::kDone:
      break;
  }
  ParseResult done;
  done.state = ParseResult::State::kComplete;
  done.consumed = chunks_.end();
  return done;
}

ParseResult RequestParser::Finish(std::size_t end) {
  ParseResult done;
  done.state = ParseResult::State::kComplete;
  done.consumed = end;
  done.keep_alive = keep_alive_;
  Reset();
  return done;
}

void RequestParser::Reset() {
  head_done_ = false;
  head_end_ = 0;
  chunked_ = false;
  content_length_ = 0;
  keep_alive_ = true;
  expects_continue_ = false;
  continue_reported_ = false;
  chunks_.Reset(0);
}

ParseResult RequestParser::Parse(std::string_view input, Request* request) {
  if (!head_done_) {
    ParseResult head = ParseHead(input, request);
    if (head.state == ParseResult::State::kError) {
      Reset();
      return head;
    }
    if (!head_done_) return head;
  }
  if (chunked_) {
    ParseResult scan = ScanChunks(input);
    if (scan.state == ParseResult::State::kError) {
      Reset();
      return scan;
    }
    if (scan.state == ParseResult::State::kComplete) {
      request->body.clear();
      chunks_.Decode(input, &request->body);
      return Finish(scan.consumed);
    }
  } else if (input.size() >= head_end_ + content_length_) {
    request->body.assign(input.substr(head_end_, content_length_));
    return Finish(head_end_ + content_length_);
  }
  ParseResult waiting;
  if (expects_continue_ && !continue_reported_) {
    continue_reported_ = true;
    waiting.send_continue = true;
  }
  return waiting;
}

}  // namespace promorec::http
