// Internal to the JSON codec: byte-level scanning that does not need a
// parser. Framing a body into records, and checks simdjson does not make on
// text the codec keeps as text (numbers) or that it reports without a
// position (invalid UTF-8).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace promorec::event {

// First position at or after `pos` that is not JSON whitespace.
std::size_t SkipJsonSpace(std::string_view text, std::size_t pos);

// Whether `text` is exactly one number in JSON's grammar
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?).
bool IsJsonNumber(std::string_view text);

// One past the end of the JSON value starting at text[start]: after the
// bracket that closes an object or array (brackets inside strings do not
// count), after the quote that closes a string, or at the first comma,
// bracket or whitespace after any other scalar. npos when the text ends
// inside an object, array or string. Framing only: the value's syntax is
// checked by the parser afterwards.
std::size_t FindJsonValueEnd(std::string_view text, std::size_t start);

// Offset of the first byte of `text` that is not part of a valid UTF-8
// sequence; text.size() when all of it is valid.
std::size_t FirstInvalidUtf8(std::string_view text);

}  // namespace promorec::event
