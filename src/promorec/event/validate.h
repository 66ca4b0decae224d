// Field checks shared by every codec, so that "what is a valid event" is
// decided in one place, and the content-derived event id.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

bool IsValidUtf8(std::string_view text);

// An id-like field: at most kMaxIdBytes, valid UTF-8, no control characters;
// non-empty when `required`. `field` is the name the input uses.
DecodeStatus CheckId(std::string_view field, std::string_view value, bool required);

// At most `limit` bytes and no control characters (the UTF-8 check is the
// caller's).
DecodeStatus CheckValueShape(std::string_view field, std::string_view value, std::size_t limit);

// CheckId without the UTF-8 check, for callers that validated the whole
// record at once (a split at ASCII separators keeps valid UTF-8 valid).
DecodeStatus CheckIdShape(std::string_view field, std::string_view value, bool required);

// "0" or "1".
DecodeStatus ParseRating(std::string_view field, std::string_view text, std::uint8_t* rating);

// The timestamp text of `field` (see timestamp.h).
DecodeStatus ParseTimestampField(std::string_view field, std::string_view text,
                                 std::int64_t* timestamp_us);

// The whole event, with the canonical JSON field names: required fields,
// lengths, UTF-8, price finite and >= 0, rating 0/1, attribute limits.
DecodeStatus ValidateEvent(const ClickEvent& event);

// ValidateEvent for an event whose strings are known to be valid UTF-8 (its
// whole source was validated at once, as a JSON parser does): the same
// checks and errors, without validating the UTF-8 again.
DecodeStatus ValidateEventShape(const ClickEvent& event);

// Sets event->event_id from the content when it is empty. Two events with
// the same content get the same id whichever format they arrived in; an
// offer id of "0" counts as no offer. `scratch` is reused between calls.
void AssignContentEventId(ClickEvent* event, std::string* scratch);

}  // namespace promorec::event
