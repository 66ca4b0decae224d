// Timestamps as the event formats write them. Parsing is strict: a value is
// either epoch seconds with an optional fraction ("1518318207.8448") or a UTC
// date-time ("2016-06-14 17:28:47.0", "2016-06-14T17:28:47Z"); anything else,
// or a time outside [1970, 2200), is an error that says why.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::event {

// Microseconds since the epoch, or the reason the text is not a timestamp.
[[nodiscard]] base::Result<std::int64_t> ParseTimestamp(std::string_view text);

// Epoch seconds with the fraction's trailing zeros dropped: "1518318207.8448",
// "1518318207". ParseTimestamp reads it back exactly.
void AppendEpochSeconds(std::int64_t timestamp_us, std::string* out);

// "2016-06-14T17:28:47.5Z" (the fraction only when non-zero).
void AppendIso8601(std::int64_t timestamp_us, std::string* out);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day);
void CivilFromDays(std::int64_t days, std::int64_t* year, unsigned* month, unsigned* day);

}  // namespace promorec::event
