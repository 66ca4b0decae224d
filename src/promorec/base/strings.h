// Small text helpers that several modules need (HTTP headers, content
// types, CSV headers): trimming, ASCII case folding, media types.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace promorec::base {

// `text` without leading and trailing characters from `chars`.
std::string_view TrimChars(std::string_view text, std::string_view chars);
// Without leading and trailing spaces and tabs (HTTP's optional white space).
inline std::string_view Trim(std::string_view text) { return TrimChars(text, " \t"); }

// ASCII letters lowered; other bytes unchanged.
std::string AsciiLower(std::string_view text);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The media type of a Content-Type value or an Accept item, without its
// parameters or surrounding white space: "application/json; charset=utf-8"
// -> "application/json". The case is kept.
std::string_view MediaType(std::string_view value);

}  // namespace promorec::base
