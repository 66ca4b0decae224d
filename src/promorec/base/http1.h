// HTTP/1.1 message framing shared by promorec's server (http/) and the
// agent's client (agent/): header field lines, Content-Length, connection
// persistence, and chunked bodies scanned as their bytes arrive. Requests
// and responses frame their bodies the same way (RFC 9112), so one codec
// serves both directions; the start lines, which differ, stay with each
// side. It lives in base/ because both sides need it and neither may
// depend on the other.
// Thread-safety: the functions are pure; a ChunkedScanner is one message's
// state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "promorec/base/status.h"

namespace promorec::base::http1 {

// A token (RFC 9110): a header name, a transfer coding.
bool IsToken(std::string_view text);

// One header field line ("Name: value"): no folding, the name a token, the
// value free of control characters. Returns the name as sent and the value
// without surrounding white space; InvalidArgument says what is wrong.
[[nodiscard]] Result<std::pair<std::string_view, std::string_view>> ParseFieldLine(
    std::string_view line);

// A Content-Length value: exactly one decimal number.
std::optional<std::uint64_t> ParseContentLength(std::string_view value);

// Whether the comma-separated header value lists `token` (any case).
bool ListsToken(std::string_view value, std::string_view token);

// Whether the connection stays open after a message of HTTP/1.`minor`
// with this Connection header.
bool KeepsAlive(int minor, std::string_view connection);

// A chunked body, scanned as its bytes arrive: call Scan with the bytes
// received so far (the same prefix each time, possibly longer); it does
// not rescan what it already accepted. The limits hold however the bytes
// are split into reads.
class ChunkedScanner {
 public:
  struct Limits {
    std::size_t max_line = 1024;  // a chunk-size line, extensions included
    std::size_t max_trailer_bytes = 8 << 10;
    std::uint64_t max_body_bytes = 8 << 20;
  };
  enum class Outcome { kNeedMore, kDone, kBad, kTooLarge };

  // The body starts at `start` in the input.
  ChunkedScanner(std::size_t start, Limits limits) : limits_(limits) { Reset(start); }
  void Reset(std::size_t start);

  Outcome Scan(std::string_view input);
  // kBad: why ("malformed chunk size '...'", ...).
  const std::string& message() const { return message_; }
  // kDone: the first byte after the body (trailers included).
  std::size_t end() const { return scan_; }
  std::uint64_t body_bytes() const { return total_; }
  // kDone: appends the decoded body to `*body`.
  void Decode(std::string_view input, std::string* body) const;

 private:
  Outcome Bad(std::string message);

  Limits limits_;
  std::size_t start_ = 0;
  std::size_t scan_ = 0;  // where the next chunk-size line starts
  std::uint64_t total_ = 0;
  bool done_ = false;
  std::string message_;
};

}  // namespace promorec::base::http1
