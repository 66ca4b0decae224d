#include "promorec/kinesis/kinesis_json.h"

#include <charconv>
#include <cstdio>
#include <limits>

#include "promorec/base/base64.h"
#include "promorec/base/json_string.h"

namespace promorec::kinesis {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string_view TypeName(element value) {
  switch (value.type()) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

constexpr std::string_view kShardIdPrefix = "shardId-";

}  // namespace

std::unexpected<KinesisError> Fail(std::string_view type, std::string message) {
  return std::unexpected<KinesisError>(std::in_place, std::string(type), std::move(message), 400);
}
std::unexpected<KinesisError> ValidationError(std::string message) {
  return Fail("ValidationException", std::move(message));
}
std::unexpected<KinesisError> InvalidArgument(std::string message) {
  return Fail("InvalidArgumentException", std::move(message));
}
std::unexpected<KinesisError> ResourceNotFound(std::string message) {
  return Fail("ResourceNotFoundException", std::move(message));
}
std::unexpected<KinesisError> InternalFailure(std::string message) {
  return std::unexpected<KinesisError>(std::in_place, "InternalFailure", std::move(message), 500);
}

std::string QuoteValue(std::string_view value) {
  constexpr std::size_t kMax = 64;
  if (value.size() <= kMax) return "'" + std::string(value) + "'";
  return "'" + std::string(value.substr(0, kMax)) + "...'";
}

std::string ConstraintMessage(std::string_view value, std::string_view member,
                              std::string_view constraint) {
  std::string out = "1 validation error detected: Value ";
  out += value;
  out += " at '";
  out += member;
  out += "' failed to satisfy constraint: ";
  out += constraint;
  return out;
}

Outcome<std::optional<element>> Fields::Find(std::string_view member) const {
  element value;
  if (object_.at_key(member).get(value) != simdjson::SUCCESS) return std::nullopt;
  if (value.is_null()) return std::nullopt;
  return value;
}

std::unexpected<KinesisError> Fields::WrongType(std::string_view member, std::string_view expected,
                                                element value) const {
  return ValidationError("Member '" + Name(member) + "' must be " + std::string(expected) +
                         ", got " + std::string(TypeName(value)));
}

Outcome<std::optional<std::string_view>> Fields::OptString(std::string_view member) const {
  auto found = Find(member);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  std::string_view text;
  if ((*found)->get_string().get(text) != simdjson::SUCCESS) {
    return WrongType(member, "a string", **found);
  }
  return text;
}

Outcome<std::string_view> Fields::String(std::string_view member) const {
  auto text = OptString(member);
  if (!text) return std::unexpected(text.error());
  if (!*text) {
    return ValidationError(ConstraintMessage("null", Name(member), "Member must not be null"));
  }
  return **text;
}

Outcome<std::optional<std::int64_t>> Fields::OptInt(std::string_view member) const {
  auto found = Find(member);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  const element value = **found;
  if (value.type() == element_type::INT64) return std::int64_t{value.get_int64().value_unsafe()};
  if (value.type() == element_type::UINT64) {
    return ValidationError("Member '" + Name(member) + "' is too large");
  }
  return WrongType(member, "a whole number", value);
}

Outcome<std::int64_t> Fields::Int(std::string_view member) const {
  auto value = OptInt(member);
  if (!value) return std::unexpected(value.error());
  if (!*value) {
    return ValidationError(ConstraintMessage("null", Name(member), "Member must not be null"));
  }
  return **value;
}

Outcome<std::optional<double>> Fields::OptNumber(std::string_view member) const {
  auto found = Find(member);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  double number = 0;
  if ((*found)->get_double().get(number) != simdjson::SUCCESS) {
    return WrongType(member, "a number", **found);
  }
  return number;
}

Outcome<std::optional<bool>> Fields::OptBool(std::string_view member) const {
  auto found = Find(member);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  bool flag = false;
  if ((*found)->get_bool().get(flag) != simdjson::SUCCESS) {
    return WrongType(member, "a boolean", **found);
  }
  return flag;
}

Outcome<std::optional<simdjson::dom::array>> Fields::OptArray(std::string_view member) const {
  auto found = Find(member);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  simdjson::dom::array array;
  if ((*found)->get_array().get(array) != simdjson::SUCCESS) {
    return WrongType(member, "an array", **found);
  }
  return array;
}

Outcome<std::optional<simdjson::dom::object>> Fields::OptObject(std::string_view member) const {
  auto found = Find(member);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  simdjson::dom::object object;
  if ((*found)->get_object().get(object) != simdjson::SUCCESS) {
    return WrongType(member, "an object", **found);
  }
  return object;
}

Outcome<void> Fields::CheckLength(std::string_view member, std::string_view value,
                                  std::size_t max) const {
  if (value.empty()) {
    return ValidationError(ConstraintMessage(QuoteValue(value), Name(member),
                                             "Member must have length greater than or equal to 1"));
  }
  if (value.size() > max) {
    return ValidationError(
        ConstraintMessage(QuoteValue(value), Name(member),
                          "Member must have length less than or equal to " + std::to_string(max)));
  }
  return {};
}

Outcome<void> Fields::CheckRange(std::string_view member, std::int64_t value, std::int64_t lo,
                                 std::int64_t hi) const {
  if (value < lo) {
    return ValidationError(
        ConstraintMessage("'" + std::to_string(value) + "'", Name(member),
                          "Member must have value greater than or equal to " + std::to_string(lo)));
  }
  if (value > hi) {
    return ValidationError(
        ConstraintMessage("'" + std::to_string(value) + "'", Name(member),
                          "Member must have value less than or equal to " + std::to_string(hi)));
  }
  return {};
}

void JsonOut::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_member_.empty()) return;
  if (has_member_.back()) text_.push_back(',');
  has_member_.back() = true;
}

JsonOut& JsonOut::BeginObject() {
  Separate();
  text_.push_back('{');
  has_member_.push_back(false);
  return *this;
}

JsonOut& JsonOut::EndObject() {
  text_.push_back('}');
  has_member_.pop_back();
  return *this;
}

JsonOut& JsonOut::BeginArray() {
  Separate();
  text_.push_back('[');
  has_member_.push_back(false);
  return *this;
}

JsonOut& JsonOut::EndArray() {
  text_.push_back(']');
  has_member_.pop_back();
  return *this;
}

JsonOut& JsonOut::Key(std::string_view key) {
  Separate();
  base::AppendJsonString(key, &text_);
  text_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::String(std::string_view value) {
  Separate();
  base::AppendJsonString(value, &text_);
  return *this;
}

JsonOut& JsonOut::Int(std::int64_t value) {
  Separate();
  text_ += std::to_string(value);
  return *this;
}

JsonOut& JsonOut::Bool(bool value) {
  Separate();
  text_ += value ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::EpochSeconds(std::int64_t micros) {
  Separate();
  // Floor division, so times before 1970 still print as one number.
  std::int64_t millis = micros / 1000;
  if (micros % 1000 < 0) --millis;
  std::int64_t seconds = millis / 1000;
  std::int64_t fraction = millis % 1000;
  if (fraction < 0) {
    fraction += 1000;
    --seconds;
  }
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(seconds),
                              static_cast<long long>(fraction));
  text_.append(buf, static_cast<std::size_t>(n));
  return *this;
}

JsonOut& JsonOut::Base64(std::string_view data) {
  Separate();
  text_.push_back('"');
  base::AppendBase64(data, &text_);
  text_.push_back('"');
  return *this;
}

std::string ShardIdName(std::uint32_t shard) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "shardId-%012u", shard);
  return buf;
}

std::optional<std::uint32_t> ParseShardId(std::string_view shard_id) {
  if (!shard_id.starts_with(kShardIdPrefix)) return std::nullopt;
  const std::string_view digits = shard_id.substr(kShardIdPrefix.size());
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::string SequenceNumberText(std::uint64_t sequence) { return std::to_string(sequence); }

Outcome<std::uint64_t> ParseSequenceNumber(std::string_view member, std::string_view text) {
  bool digits_only = !text.empty() && text.size() <= 129;
  for (const char c : text) digits_only = digits_only && c >= '0' && c <= '9';
  if (!digits_only || (text.size() > 1 && text.front() == '0')) {
    return ValidationError(ConstraintMessage(QuoteValue(text), member,
                                             "Member must satisfy regular expression pattern: "
                                             "0|([1-9]\\d{0,128})"));
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument("Sequence number " + std::string(text) +
                           " is beyond the range of any shard of this stream");
  }
  return value;
}

}  // namespace promorec::kinesis
