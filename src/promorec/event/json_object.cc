#include "promorec/event/json_object.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "promorec/event/json_scan.h"
#include "promorec/event/json_value.h"
#include "promorec/event/limits.h"
#include "promorec/event/validate.h"

namespace promorec::event {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

enum class Field : std::uint8_t {
  kEventId,
  kUserId,
  kOfferId,
  kCountry,
  kCategory,
  kProduct,
  kTimestamp,
  kRating,
  kPrice,
  kQuantity,
  kSessionId,
  kAttributes,
  kType,
  kPromotionCode,
};
constexpr std::size_t kFieldCount = 14;

struct FieldNames {
  std::string_view canonical;
  std::string_view alias;
};
// Indexed by Field. The aliases are the classic click line's column names.
constexpr std::array<FieldNames, kFieldCount> kFieldNames = {{
    {"event_id", ""},
    {"user_id", "userid"},
    {"offer_id", "offerid"},
    {"country", "countrycode"},
    {"category", ""},
    {"product", "merchant"},
    {"timestamp", "utcdate"},
    {"rating", ""},
    {"price", ""},
    {"quantity", ""},
    {"session_id", ""},
    {"attributes", ""},
    {"type", ""},
    {"promotion_code", ""},
}};

std::optional<Field> LookupField(std::string_view key) {
  if (key.empty()) return std::nullopt;
  // Length and first byte rule out most names without a comparison.
  const auto is = [key](std::string_view name) {
    return name.size() == key.size() && name[0] == key[0] && name == key;
  };
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (is(kFieldNames[i].canonical) ||
        (!kFieldNames[i].alias.empty() && is(kFieldNames[i].alias))) {
      return static_cast<Field>(i);
    }
  }
  return std::nullopt;
}
std::size_t Index(Field field) { return static_cast<std::size_t>(field); }

// Reads the fields of one event object. Syntax errors are returned (they
// win: a broken record is reported as broken); the first semantic error is
// kept and the rest of the object is still read for syntax.
class ObjectReader {
 public:
  explicit ObjectReader(ClickEvent* event) : event_(event) {}

  error_code Read(od::object& object);

  const std::optional<FieldError>& error() const { return error_; }
  bool present(Field field) const { return present_[Index(field)]; }
  // The name the input used for `field`, or the canonical name.
  std::string_view Name(Field field) const {
    const std::size_t i = Index(field);
    return used_[i].empty() ? kFieldNames[i].canonical : used_[i];
  }
  // The field whose value was being read when a syntax error struck.
  std::string_view current_field() const { return current_; }

 private:
  error_code ReadField(Field field, std::string_view name, od::value& value);
  error_code ReadText(std::string_view name, od::value& value, od::json_type type,
                      std::string_view expected, std::string_view* text, bool* has_text);
  error_code ReadPrice(std::string_view name, od::value& value, od::json_type type);
  error_code ReadQuantity(std::string_view name, od::value& value, od::json_type type);
  error_code ReadAttributes(std::string_view name, od::value& value, od::json_type type);

  void Fail(Reason reason, std::string_view field, std::string detail) {
    if (!error_) error_.emplace(FieldError{reason, std::string(field), std::move(detail)});
  }
  void Fail(const DecodeStatus& status) {
    if (!status && !error_) error_ = status.error();
  }
  error_code WrongType(std::string_view name, od::value& value, od::json_type type,
                       std::string_view expected) {
    Fail(Reason::kWrongType, name,
         "must be " + std::string(expected) + ", got " + std::string(TypeName(type)));
    return Drain(value, 1);
  }

  ClickEvent* event_;
  // Views into the input or the parser's string buffer, valid while the
  // document is.
  std::array<std::string_view, kFieldCount> used_{};
  std::array<bool, kFieldCount> present_{};
  std::optional<FieldError> error_;
  std::string_view current_;
};

error_code ObjectReader::Read(od::object& object) {
  for (auto result : object) {
    od::field field;
    if (auto e = std::move(result).get(field)) return e;
    std::string_view key;
    if (auto e = KeyOf(field, &key)) return e;
    current_ = key;
    const std::optional<Field> known = LookupField(key);
    error_code e = simdjson::SUCCESS;
    if (!known || error_) {
      e = Drain(field.value(), 1);
    } else if (const std::size_t i = Index(*known); !used_[i].empty()) {
      Fail(Reason::kBadRecord, key,
           used_[i] == key
               ? std::string("appears more than once")
               : "is the same field as '" + std::string(used_[i]) + "', which is also given");
      e = Drain(field.value(), 1);
    } else {
      used_[i] = key;
      e = ReadField(*known, key, field.value());
    }
    if (e) return e;
    current_ = {};
  }
  return simdjson::SUCCESS;
}

error_code ObjectReader::ReadField(Field field, std::string_view name, od::value& value) {
  od::json_type type{};
  if (auto e = value.type().get(type)) return e;
  if (type == od::json_type::null) return Drain(value, 1);
  std::string_view text;
  bool has_text = false;
  switch (field) {
    case Field::kEventId:
    case Field::kUserId:
    case Field::kOfferId:
    case Field::kCountry:
    case Field::kCategory:
    case Field::kProduct:
    case Field::kSessionId:
    case Field::kPromotionCode: {
      if (auto e = ReadText(name, value, type, "a string", &text, &has_text)) return e;
      if (!has_text) return simdjson::SUCCESS;
      static constexpr std::array<std::string ClickEvent::*, kFieldCount> kTargets = {
          &ClickEvent::event_id,
          &ClickEvent::user_id,
          &ClickEvent::offer_id,
          &ClickEvent::country,
          &ClickEvent::category,
          &ClickEvent::product,
          nullptr,
          nullptr,
          nullptr,
          nullptr,
          &ClickEvent::session_id,
          nullptr,
          nullptr,
          &ClickEvent::promotion_code};
      (event_->*kTargets[Index(field)]).assign(text);
      break;
    }
    case Field::kTimestamp:
      if (auto e = ReadText(name, value, type, "a number or a string", &text, &has_text)) return e;
      if (!has_text) return simdjson::SUCCESS;
      Fail(ParseTimestampField(name, text, &event_->timestamp_us));
      break;
    case Field::kRating:
      if (auto e = ReadText(name, value, type, "0 or 1", &text, &has_text)) return e;
      if (!has_text) return simdjson::SUCCESS;
      Fail(ParseRating(name, text, &event_->rating));
      break;
    case Field::kType: {
      if (type != od::json_type::string) {
        return WrongType(name, value, type, "\"view\", \"click\" or \"buy\"");
      }
      if (auto e = StringOf(value, &text)) return e;
      const std::optional<EventType> parsed = ParseEventType(text);
      if (!parsed) {
        Fail(Reason::kBadType, name,
             "must be \"view\", \"click\" or \"buy\", got " + QuoteForError(text));
        return simdjson::SUCCESS;
      }
      event_->type = *parsed;
      break;
    }
    case Field::kPrice:
      return ReadPrice(name, value, type);
    case Field::kQuantity:
      return ReadQuantity(name, value, type);
    case Field::kAttributes:
      return ReadAttributes(name, value, type);
  }
  present_[Index(field)] = true;
  return simdjson::SUCCESS;
}

// A string's contents or a number's text; anything else is a wrong type
// (and leaves `text` null).
error_code ObjectReader::ReadText(std::string_view name, od::value& value, od::json_type type,
                                  std::string_view expected, std::string_view* text,
                                  bool* has_text) {
  *has_text = type == od::json_type::string || type == od::json_type::number;
  if (type == od::json_type::string) return StringOf(value, text);
  if (type == od::json_type::number) return NumberToken(value, text);
  return WrongType(name, value, type, expected);
}

error_code ObjectReader::ReadPrice(std::string_view name, od::value& value, od::json_type type) {
  if (type != od::json_type::number) return WrongType(name, value, type, "a number");
  std::string_view token;
  if (auto e = NumberToken(value, &token)) return e;
  double price = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), price);
  if (ec == std::errc::result_out_of_range && token.find_first_of("eE") != std::string_view::npos &&
      token.find("-", token.find_first_of("eE")) != std::string_view::npos) {
    price = 0;  // Underflow: a positive number too small for a double.
  } else if (ec != std::errc() || end != token.data() + token.size() || !std::isfinite(price) ||
             price < 0) {
    Fail(Reason::kBadNumber, name, "must be a finite number >= 0, got " + std::string(token));
    return simdjson::SUCCESS;
  }
  // -0 becomes 0, so the content id does not depend on the sign of zero.
  event_->price = price + 0.0;
  present_[Index(Field::kPrice)] = true;
  return simdjson::SUCCESS;
}

error_code ObjectReader::ReadQuantity(std::string_view name, od::value& value, od::json_type type) {
  if (type != od::json_type::number) return WrongType(name, value, type, "a whole number");
  std::string_view token;
  if (auto e = NumberToken(value, &token)) return e;
  std::uint64_t quantity = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), quantity);
  constexpr auto kMax = std::numeric_limits<std::uint32_t>::max();
  if (token.front() == '-' || end != token.data() + token.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    Fail(Reason::kBadNumber, name, "must be a whole number >= 0, got " + std::string(token));
  } else if (ec == std::errc::result_out_of_range || quantity > kMax) {
    Fail(Reason::kBadNumber, name,
         "is " + std::string(token) + ", the limit is " + std::to_string(kMax));
  } else {
    event_->quantity = static_cast<std::uint32_t>(quantity);
    present_[Index(Field::kQuantity)] = true;
  }
  return simdjson::SUCCESS;
}

error_code ObjectReader::ReadAttributes(std::string_view name, od::value& value,
                                        od::json_type type) {
  if (type != od::json_type::object) return WrongType(name, value, type, "an object");
  od::object object;
  if (auto e = value.get_object().get(object)) return e;
  std::size_t count = 0;
  for (auto result : object) {
    od::field field;
    if (auto e = std::move(result).get(field)) return e;
    std::string_view key;
    if (auto e = KeyOf(field, &key)) return e;
    od::value& item = field.value();
    od::json_type item_type{};
    if (auto e = item.type().get(item_type)) return e;
    ++count;
    std::string_view text;
    bool has_text = false;
    error_code e = simdjson::SUCCESS;
    if (error_ || count > kMaxAttributes) {
      e = Drain(item, 2);
    } else if (item_type == od::json_type::string) {
      e = StringOf(item, &text);
      has_text = true;
    } else if (item_type == od::json_type::number) {
      e = NumberToken(item, &text);
      has_text = true;
    } else if (item_type == od::json_type::boolean) {
      bool b = false;
      e = item.get_bool().get(b) ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
      text = b ? "true" : "false";
      has_text = true;
    } else {
      Fail(Reason::kWrongType, std::string(name) + "." + std::string(key),
           "must be a string, number or boolean, got " + std::string(TypeName(item_type)) +
               (item_type == od::json_type::null ? "" : " (attributes do not nest)"));
      e = Drain(item, 2);
    }
    if (e) return e;
    if (has_text && !error_) event_->attributes.emplace_back(key, text);
  }
  if (count > kMaxAttributes) {
    Fail(Reason::kFieldTooLong, name,
         "has " + std::to_string(count) + " entries, the limit is " +
             std::to_string(kMaxAttributes));
  }
  present_[Index(Field::kAttributes)] = true;
  return simdjson::SUCCESS;
}

DecodeStatus CheckRequired(const ObjectReader& reader) {
  for (const Field field : {Field::kUserId, Field::kProduct}) {
    if (reader.present(field)) continue;
    const FieldNames& names = kFieldNames[Index(field)];
    if (names.alias.empty() || reader.Name(field) != names.canonical) {
      return Reject(Reason::kMissingField, reader.Name(field), "is required");
    }
    return Reject(Reason::kMissingField, names.canonical,
                  "is required (also accepted as '" + std::string(names.alias) + "')");
  }
  if (!reader.present(Field::kRating) && !reader.present(Field::kType)) {
    return Reject(Reason::kMissingField, "type",
                  "is required: give \"type\" (view, click or buy) or \"rating\" (0 = view, 1 = "
                  "buy)");
  }
  return {};
}

// The type from the rating when only the rating was sent (0 = view, 1 =
// buy, as the classic click line means it) and the rating from the type
// when only the type was; when both were sent the validator checks that
// they agree.
void CompleteTypeAndRating(const ObjectReader& reader, ClickEvent* event) {
  if (!reader.present(Field::kType)) {
    event->type = EventTypeFromRating(event->rating);
  } else if (!reader.present(Field::kRating)) {
    event->rating = RatingOfType(event->type);
  }
}

// ValidateEvent names fields canonically; report the name the input used.
FieldError WithInputNames(FieldError error, const ObjectReader& reader) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (error.field == kFieldNames[i].canonical) {
      error.field = reader.Name(static_cast<Field>(i));
      break;
    }
  }
  return error;
}

// Reads the record's one object into `reader`: simdjson's verdict on its
// syntax (a root that is not an object included).
DecodeStatus ReadObject(od::parser& parser, std::string_view record, std::size_t readable,
                        ObjectReader* reader) {
  od::document doc;
  if (auto e = parser.iterate(record.data(), record.size(), readable).get(doc)) {
    return JsonError(e, "");
  }
  od::json_type type{};
  if (auto e = doc.type().get(type)) return JsonError(e, "");
  if (type != od::json_type::object) {
    return Reject(Reason::kWrongType, "",
                  "a record must be a JSON object, got " + std::string(TypeName(type)));
  }
  od::object object;
  if (auto e = doc.get_object().get(object)) return JsonError(e, "");
  if (auto e = reader->Read(object)) return JsonError(e, reader->current_field());
  // simdjson 3.0 has no document::at_end(); a location means more tokens.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Reject(Reason::kBadJson, "", "unexpected content after the object");
  }
  return {};
}

// A record simdjson refused: invalid UTF-8 anywhere, then content after
// the root object, are reported before what simdjson said, because they
// say more precisely what is wrong (simdjson 3.0 reports content after the
// root object as an unclosed object). A record simdjson accepts is valid
// UTF-8 (its first stage checks the whole input) and has nothing after
// the object, so these checks cost nothing on good records.
DecodeStatus Diagnose(std::string_view record, DecodeStatus failure) {
  if (!IsValidUtf8(record)) {
    return Reject(
        Reason::kInvalidUtf8, "",
        "not valid UTF-8 at byte " + std::to_string(FirstInvalidUtf8(record)) + " of the record");
  }
  if (const std::size_t first = SkipJsonSpace(record, 0);
      first < record.size() && record[first] == '{') {
    const std::size_t end = FindJsonValueEnd(record, first);
    if (end != std::string_view::npos && SkipJsonSpace(record, end) != record.size()) {
      return Reject(Reason::kBadJson, "", "unexpected content after the object");
    }
  }
  return failure;
}

}  // namespace

DecodeStatus JsonObjectDecoder::Decode(std::string_view record,
                                       std::optional<std::int64_t> default_timestamp_us,
                                       ClickEvent* out) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of the input.
  buffer_.assign(record);
  buffer_.resize(record.size() + simdjson::SIMDJSON_PADDING);
  return DecodeInPlace(std::string_view(buffer_.data(), record.size()), buffer_.size(),
                       default_timestamp_us, out);
}

DecodeStatus JsonObjectDecoder::DecodeInPlace(std::string_view record, std::size_t readable,
                                              std::optional<std::int64_t> default_timestamp_us,
                                              ClickEvent* out) {
  out->Clear();
  ObjectReader reader(out);
  if (auto syntax = ReadObject(parser_, record, readable, &reader); !syntax) {
    return Diagnose(record, std::move(syntax));
  }
  if (reader.error()) return std::unexpected(*reader.error());
  if (auto s = CheckRequired(reader); !s) return s;
  CompleteTypeAndRating(reader, out);
  const bool sent_timestamp = reader.present(Field::kTimestamp);
  if (!sent_timestamp) {
    if (!default_timestamp_us) {
      return Reject(Reason::kMissingField, "timestamp", "is required (also accepted as 'utcdate')");
    }
    out->timestamp_us = *default_timestamp_us;
  }
  // The parser validated the record's UTF-8 as a whole.
  if (auto s = ValidateEventShape(*out); !s) {
    return std::unexpected(WithInputNames(s.error(), reader));
  }
  if (out->event_id.empty()) {
    // The id is that of the event as sent: a time filled in on arrival is
    // not part of it, so a retry sent later gets the same id.
    const std::int64_t timestamp_us = out->timestamp_us;
    if (!sent_timestamp) out->timestamp_us = 0;
    AssignContentEventId(out, &scratch_);
    out->timestamp_us = timestamp_us;
  }
  return {};
}

}  // namespace promorec::event
