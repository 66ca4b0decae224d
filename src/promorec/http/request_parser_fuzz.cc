// libFuzzer target: arbitrary bytes as what a connection receives, fed to
// the request parser whole and, independently, in pieces whose sizes the
// first byte picks. Both ways must agree request by request, every
// request must consume at least one byte and no more than it was given,
// and every error must carry a 4xx/5xx status and a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/http/request_parser.h"

namespace {

using promorec::http::ParseLimits;
using promorec::http::ParseResult;
using promorec::http::Request;
using promorec::http::RequestParser;

constexpr ParseLimits kLimits{512, 2048};

// "METHOD PATH BODY" per complete request, then "E STATUS" or "I".
std::vector<std::string> Run(std::string_view data, std::size_t step) {
  std::vector<std::string> out;
  RequestParser parser(kLimits);
  std::size_t start = 0;  // where the current request begins
  std::size_t seen = 0;   // bytes received so far
  Request request;        // kept across calls while one request arrives
  while (true) {
    seen = step == 0 ? data.size() : std::min(data.size(), seen + step);
    const std::string_view window = data.substr(start, seen - start);
    const ParseResult r = parser.Parse(window, &request);
    if (r.state == ParseResult::State::kError) {
      if (r.status < 400 || r.status > 599 || r.message.empty() || r.code.empty()) std::abort();
      out.push_back("E " + std::to_string(r.status));
      return out;
    }
    if (r.state == ParseResult::State::kComplete) {
      if (r.consumed == 0 || r.consumed > window.size()) std::abort();
      out.push_back(request.method + " " + request.path + " " + request.body);
      request = Request{};
      start += r.consumed;
      seen = start;
      if (start == data.size()) return out;
      continue;
    }
    if (seen == data.size()) {
      out.push_back("I");
      return out;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (Run(bytes, 0) != Run(bytes, step)) std::abort();
  return 0;
}
