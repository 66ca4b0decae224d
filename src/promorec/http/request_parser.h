// HTTP/1.1 request parsing for the server's event loop: finds where one
// request ends in the bytes a connection has received (request line,
// headers, then a Content-Length or chunked body) and fills a Request.
// It is incremental: called again as more bytes arrive, it does not rescan
// what it already accepted, and a body is copied once, when complete.
// Anything malformed or over a limit becomes the status, code and message
// the server answers with before closing the connection.
// Thread-safety: one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/http1.h"
#include "promorec/http/server.h"

namespace promorec::http {

struct ParseLimits {
  std::size_t max_header_bytes = 32 << 10;
  std::size_t max_body_bytes = 8 << 20;
};

struct ParseResult {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  // kComplete: bytes of the input this request used (the next one starts
  // there).
  std::size_t consumed = 0;
  // kComplete: whether the connection stays open after the answer.
  bool keep_alive = true;
  // kIncomplete: the headers are in and the client waits for
  // "100 Continue" before sending its body (reported once per request).
  bool send_continue = false;
  // kError: what to answer (4xx/5xx) before closing.
  int status = 0;
  std::string code;
  std::string message;
};

class RequestParser {
 public:
  explicit RequestParser(ParseLimits limits)
      : limits_(limits), chunks_(0, {.max_body_bytes = limits.max_body_bytes}) {}

  // Looks at `input`, the bytes received since the previous request ended
  // (the same prefix each call, possibly longer). On kComplete, `request`
  // holds the request and the parser is ready for the next one.
  ParseResult Parse(std::string_view input, Request* request);

 private:
  ParseResult ParseHead(std::string_view input, Request* request);
  ParseResult ScanChunks(std::string_view input);
  ParseResult Finish(std::size_t end);
  void Reset();

  ParseLimits limits_;
  bool head_done_ = false;
  std::size_t head_end_ = 0;  // first byte after the blank line
  bool chunked_ = false;
  std::uint64_t content_length_ = 0;
  bool keep_alive_ = true;
  bool expects_continue_ = false;
  bool continue_reported_ = false;
  base::http1::ChunkedScanner chunks_;  // chunked bodies
};

// Decodes %XX escapes (and '+' as a space when `plus_is_space`); false if
// an escape is malformed.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace promorec::http
