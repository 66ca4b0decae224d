// Base64 (RFC 4648 section 4): the standard alphabet with '=' padding, as
// AWS JSON protocols carry binary members. Decoding is strict so that one
// text has exactly one meaning: the length must be a multiple of four,
// padding may appear only at the end, the bits a padded group leaves over
// must be zero, and no whitespace or other byte is skipped.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::base {

// Length of the encoding of `decoded_size` bytes.
constexpr std::size_t Base64EncodedSize(std::size_t decoded_size) {
  return (decoded_size + 2) / 3 * 4;
}

// Appends the encoding of `data` to `*out`.
void AppendBase64(std::string_view data, std::string* out);
std::string Base64Encode(std::string_view data);

// Bytes that `text` decodes to when it is valid (before validation: an upper
// bound), so callers can enforce a size limit before decoding.
std::size_t Base64DecodedSize(std::string_view text);

// Decodes `text` into `*out` (replacing its contents). InvalidArgument
// naming the first problem and its offset; `*out` is unspecified then.
[[nodiscard]] Status Base64Decode(std::string_view text, std::string* out);
Result<std::string> Base64Decode(std::string_view text);

}  // namespace promorec::base
