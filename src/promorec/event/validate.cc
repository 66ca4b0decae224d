#include "promorec/event/validate.h"

#include <simdjson.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "promorec/base/hash.h"
#include "promorec/event/limits.h"
#include "promorec/event/timestamp.h"

namespace promorec::event {

namespace {

// Ids are nearly always short printable ASCII (0x20..0x7E): such a value
// has no control character and is valid UTF-8, found in one pass that the
// compiler vectorizes, without the general checks' per-call set-up.
bool IsPrintableAscii(std::string_view value) {
  bool outside = false;
  for (const char c : value) {
    outside |= static_cast<unsigned char>(static_cast<unsigned char>(c) - 0x20) >= 0x5F;
  }
  return !outside;
}

bool IsAscii(std::string_view text) {
  bool high = false;
  for (const char c : text) high |= static_cast<unsigned char>(c) >= 0x80;
  return !high;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  return IsAscii(text) || simdjson::validate_utf8(text.data(), text.size());
}

DecodeStatus CheckId(std::string_view field, std::string_view value, bool required) {
  if (!value.empty() && value.size() <= kMaxIdBytes && IsPrintableAscii(value)) return {};
  if (auto s = CheckIdShape(field, value, required); !s) return s;
  if (!IsValidUtf8(value)) {
    return Reject(Reason::kInvalidUtf8, field, "is not valid UTF-8: " + QuoteForError(value));
  }
  return {};
}

DecodeStatus CheckIdShape(std::string_view field, std::string_view value, bool required) {
  if (!value.empty() && value.size() <= kMaxIdBytes && IsPrintableAscii(value)) return {};
  if (value.empty()) {
    if (required) return Reject(Reason::kEmptyField, field, "must not be empty");
    return {};
  }
  return CheckValueShape(field, value, kMaxIdBytes);
}

DecodeStatus CheckValueShape(std::string_view field, std::string_view value, std::size_t limit) {
  if (value.size() > limit) {
    return Reject(
        Reason::kFieldTooLong, field,
        "is " + std::to_string(value.size()) + " bytes, the limit is " + std::to_string(limit));
  }
  // One pass without early exit, which the compiler vectorizes: values are
  // short and nearly always clean.
  bool control = false;
  for (const char c : value) control |= (static_cast<unsigned char>(c) < 0x20) | (c == 0x7F);
  if (control) {
    return Reject(Reason::kBadRecord, field,
                  "contains a control character: " + QuoteForError(value));
  }
  return {};
}

DecodeStatus ParseRating(std::string_view field, std::string_view text, std::uint8_t* rating) {
  if (text == "0" || text == "1") {
    *rating = static_cast<std::uint8_t>(text[0] - '0');
    return {};
  }
  if (text.empty()) return Reject(Reason::kEmptyField, field, "must not be empty");
  return Reject(Reason::kBadRating, field, "must be 0 or 1, got " + QuoteForError(text));
}

DecodeStatus ParseTimestampField(std::string_view field, std::string_view text,
                                 std::int64_t* timestamp_us) {
  if (text.empty()) return Reject(Reason::kEmptyField, field, "must not be empty");
  auto parsed = ParseTimestamp(text);
  if (!parsed) {
    return Reject(Reason::kBadTimestamp, field,
                  parsed.error().message() + ", got " + QuoteForError(text));
  }
  *timestamp_us = *parsed;
  return {};
}

namespace {

DecodeStatus CheckText(std::string_view field, std::string_view value, std::size_t limit,
                       bool check_utf8) {
  if (value.size() > limit) {
    return Reject(
        Reason::kFieldTooLong, field,
        "is " + std::to_string(value.size()) + " bytes, the limit is " + std::to_string(limit));
  }
  if (check_utf8 && !IsValidUtf8(value)) {
    return Reject(Reason::kInvalidUtf8, field, "is not valid UTF-8: " + QuoteForError(value));
  }
  return {};
}

DecodeStatus CheckIdField(std::string_view field, std::string_view value, bool required,
                          bool check_utf8) {
  return check_utf8 ? CheckId(field, value, required) : CheckIdShape(field, value, required);
}

DecodeStatus Validate(const ClickEvent& event, bool check_utf8) {
  if (auto s = CheckIdField("event_id", event.event_id, false, check_utf8); !s) return s;
  if (auto s = CheckIdField("user_id", event.user_id, true, check_utf8); !s) return s;
  if (auto s = CheckIdField("offer_id", event.offer_id, false, check_utf8); !s) return s;
  if (auto s = CheckIdField("country", event.country, false, check_utf8); !s) return s;
  if (auto s = CheckIdField("category", event.category, false, check_utf8); !s) return s;
  if (auto s = CheckIdField("product", event.product, true, check_utf8); !s) return s;
  if (auto s = CheckIdField("session_id", event.session_id, false, check_utf8); !s) return s;
  if (auto s = CheckIdField("promotion_code", event.promotion_code, false, check_utf8); !s) {
    return s;
  }
  if (event.timestamp_us < 0 || event.timestamp_us >= kMaxTimestampSeconds * 1'000'000) {
    return Reject(Reason::kBadTimestamp, "timestamp", "timestamp outside 1970-01-01 .. 2200-01-01");
  }
  if (event.rating > 1) {
    return Reject(Reason::kBadRating, "rating",
                  "must be 0 or 1, got " + std::to_string(event.rating));
  }
  if (static_cast<std::uint8_t>(event.type) > kMaxEventType) {
    return Reject(Reason::kBadType, "type",
                  "must be view, click or buy, got type number " +
                      std::to_string(static_cast<unsigned>(event.type)));
  }
  if (event.rating != RatingOfType(event.type)) {
    return Reject(Reason::kBadRating, "rating",
                  "is " + std::to_string(event.rating) + " but the type is " +
                      std::string(EventTypeName(event.type)) +
                      " (a view has rating 0, a click or a buy rating 1)");
  }
  if (event.price && (!std::isfinite(*event.price) || *event.price < 0)) {
    return Reject(Reason::kBadNumber, "price", "must be a finite number >= 0");
  }
  if (event.attributes.size() > kMaxAttributes) {
    return Reject(Reason::kFieldTooLong, "attributes",
                  "has " + std::to_string(event.attributes.size()) + " entries, the limit is " +
                      std::to_string(kMaxAttributes));
  }
  for (const auto& [key, value] : event.attributes) {
    if (key.empty()) return Reject(Reason::kEmptyField, "attributes", "has an empty key");
    if (auto s = CheckText("attributes", key, kMaxAttributeKeyBytes, check_utf8); !s) return s;
    // The field name is built only for the error, not for every attribute.
    if (value.size() > kMaxAttributeValueBytes || (check_utf8 && !IsValidUtf8(value))) {
      return CheckText("attributes." + key, value, kMaxAttributeValueBytes, check_utf8);
    }
  }
  return {};
}

}  // namespace

DecodeStatus ValidateEvent(const ClickEvent& event) { return Validate(event, true); }

DecodeStatus ValidateEventShape(const ClickEvent& event) { return Validate(event, false); }

namespace {

void AppendField(std::string_view value, std::string* out) {
  const auto size = static_cast<std::uint32_t>(value.size());
  out->append(reinterpret_cast<const char*>(&size), sizeof size);
  out->append(value);
}

}  // namespace

void AssignContentEventId(ClickEvent* event, std::string* scratch) {
  if (!event->event_id.empty()) return;
  scratch->clear();
  AppendField(event->user_id, scratch);
  AppendField(event->HasPromotion() ? std::string_view(event->offer_id) : std::string_view(),
              scratch);
  AppendField(event->country, scratch);
  AppendField(event->category, scratch);
  AppendField(event->product, scratch);
  scratch->append(reinterpret_cast<const char*>(&event->timestamp_us), sizeof event->timestamp_us);
  scratch->push_back(static_cast<char>(event->rating));
  // Optional fields add bytes only when present, so that an event without
  // them hashes the same from every format. A type the rating already
  // implies (view for 0, buy for 1) adds none, so events that carried no
  // type keep the ids they had before types were explicit.
  if (event->type != EventTypeFromRating(event->rating)) {
    scratch->push_back('t');
    scratch->push_back(static_cast<char>(event->type));
  }
  if (!event->promotion_code.empty()) {
    scratch->push_back('c');
    AppendField(event->promotion_code, scratch);
  }
  if (event->price) {
    scratch->push_back('p');
    const auto bits = std::bit_cast<std::uint64_t>(*event->price);
    scratch->append(reinterpret_cast<const char*>(&bits), sizeof bits);
  }
  if (event->quantity) {
    scratch->push_back('q');
    scratch->append(reinterpret_cast<const char*>(&*event->quantity), sizeof *event->quantity);
  }
  if (!event->session_id.empty()) {
    scratch->push_back('s');
    AppendField(event->session_id, scratch);
  }
  for (const auto& [key, value] : event->attributes) {
    scratch->push_back('a');
    AppendField(key, scratch);
    AppendField(value, scratch);
  }
  const std::uint64_t high = base::Hash64(*scratch, 0x70726F6D6F726563ull);
  const std::uint64_t low = base::Hash64(*scratch, 0x6576656E745F6964ull);
  event->event_id.resize(32);
  base::WriteHex128(high, low, event->event_id.data());
}

}  // namespace promorec::event
