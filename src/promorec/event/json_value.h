// Internal to the JSON codec: reading values of simdjson's on-demand API
// the way the event decoder needs them (keys and strings read in place when
// they have no escapes, numbers kept as their text, unknown values walked
// for syntax only) and naming simdjson's errors for people.
// Thread-safety: pure functions.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "promorec/event/decode_error.h"

namespace promorec::event {

// Unknown fields are walked to check their syntax; this bounds the recursion.
inline constexpr int kMaxJsonNesting = 32;

// The end of a JSON string's contents that starts at `text` (just after
// its opening quote) when it has no escapes, else null.
const char* PlainStringEnd(const char* text);
// A field's key, in place when it has no escapes.
simdjson::error_code KeyOf(simdjson::ondemand::field& field, std::string_view* key);
// A string value's text, in place when it has no escapes.
simdjson::error_code StringOf(simdjson::ondemand::value& value, std::string_view* text);
// `text` without trailing JSON whitespace.
std::string_view TrimRight(std::string_view text);
// "a string", "a number", "an array", ... for error messages.
std::string_view TypeName(simdjson::ondemand::json_type type);
// A sentence for people for a simdjson error.
std::string JsonErrorText(simdjson::error_code error);
// The rejection for a simdjson error in `field`.
DecodeStatus JsonError(simdjson::error_code error, std::string_view field);
// A number's text as it is in the input.
simdjson::error_code NumberToken(simdjson::ondemand::value& value, std::string_view* token);
// Walks `value` (checking its syntax) without keeping it; `depth` is how
// deep it is nested.
simdjson::error_code Drain(simdjson::ondemand::value& value, int depth);

}  // namespace promorec::event
