// Fuzzes the shared HTTP/1.1 framing: a chunked body scanned at once and
// byte by byte must give the same outcome, end and decoded body, the body
// within the limit; every line of the input must parse as a header field
// line or be refused with a reason. Nothing may crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/base/http1.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using promorec::base::http1::ChunkedScanner;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ChunkedScanner::Limits limits{
      .max_line = 64, .max_trailer_bytes = 256, .max_body_bytes = 4096};
  ChunkedScanner whole(0, limits);
  ChunkedScanner split(0, limits);
  const auto outcome = whole.Scan(input);
  auto split_outcome = ChunkedScanner::Outcome::kNeedMore;
  for (std::size_t n = 0; n <= input.size(); ++n) {
    split_outcome = split.Scan(input.substr(0, n));
    if (split_outcome != ChunkedScanner::Outcome::kNeedMore) break;
  }
  if (outcome != split_outcome || whole.message() != split.message()) std::abort();
  if (outcome == ChunkedScanner::Outcome::kBad && whole.message().empty()) std::abort();
  if (outcome == ChunkedScanner::Outcome::kDone) {
    if (whole.end() != split.end() || whole.end() > input.size()) std::abort();
    std::string body;
    whole.Decode(input, &body);
    if (body.size() != whole.body_bytes() || body.size() > limits.max_body_bytes) std::abort();
  }
  std::size_t at = 0;
  while (at < input.size()) {
    const std::size_t end = std::min(input.find("\r\n", at), input.size());
    auto field = promorec::base::http1::ParseFieldLine(input.substr(at, end - at));
    if (!field && field.error().message().empty()) std::abort();
    at = end + 2;
  }
  return 0;
}
