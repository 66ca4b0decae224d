#include "promorec/event/json_value.h"

#include <string>

#include "promorec/event/json_scan.h"

namespace promorec::event {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// The end of a JSON string's contents that starts at `text` (just after
// its opening quote) when it has no escapes, else null. The parser's first
// stage has checked the string: it is closed and has no raw control
// characters or invalid UTF-8, so without escapes its text is its value.
const char* PlainStringEnd(const char* text) {
  while (*text != '"') {
    if (*text == '\\') return nullptr;
    ++text;
  }
  return text;
}

// A field's key. Without escapes (nearly always) it is read where it is in
// the input; otherwise simdjson unescapes it into its string buffer.
error_code KeyOf(od::field& field, std::string_view* key) {
  const char* begin = field.key().raw();
  if (const char* end = PlainStringEnd(begin); end != nullptr) {
    *key = std::string_view(begin, static_cast<std::size_t>(end - begin));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(*key);
}

// A string value, read where it is when it has no escapes (the value is
// then left for the object's iteration to skip), otherwise unescaped.
error_code StringOf(od::value& value, std::string_view* text) {
  const std::string_view token = value.raw_json_token();
  if (!token.empty() && token.front() == '"') {
    if (const char* end = PlainStringEnd(token.data() + 1); end != nullptr) {
      *text = std::string_view(token.data() + 1, static_cast<std::size_t>(end - token.data() - 1));
      return simdjson::SUCCESS;
    }
  }
  return value.get_string().get(*text);
}

std::string_view TrimRight(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string_view TypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown type";
}

std::string JsonErrorText(error_code error) {
  switch (error) {
    case simdjson::UNCLOSED_STRING:
      return "not valid JSON: a string is not closed";
    case simdjson::STRING_ERROR:
      return "not valid JSON: bad escape sequence or unpaired surrogate in a string";
    case simdjson::NUMBER_ERROR:
      return "not valid JSON: malformed number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "not valid JSON: bad literal (expected true, false or null)";
    case simdjson::DEPTH_ERROR:
      return "not valid JSON: nested more than " + std::to_string(kMaxJsonNesting) + " levels deep";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return "not valid JSON: an object or array is not closed";
    case simdjson::EMPTY:
      return "not valid JSON: no value";
    default:
      // TAPE_ERROR and friends: simdjson finds misplaced commas, colons and
      // brackets without saying which.
      return "not valid JSON: misplaced or missing comma, colon, bracket or quote";
  }
}

DecodeStatus JsonError(error_code error, std::string_view field) {
  if (error == simdjson::UTF8_ERROR) {
    return Reject(Reason::kInvalidUtf8, field, "is not valid UTF-8");
  }
  return Reject(Reason::kBadJson, field, JsonErrorText(error));
}

// The text of a number value, checked against JSON's grammar (simdjson only
// checks numbers it converts, and the codec keeps the text instead).
error_code NumberToken(od::value& value, std::string_view* token) {
  *token = TrimRight(value.raw_json_token());
  return IsJsonNumber(*token) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
}

// Consumes `value` entirely so that a syntax error anywhere in the record
// is found, also inside fields the codec ignores.
error_code Drain(od::value& value, int depth) {
  od::json_type type{};
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      if (depth >= kMaxJsonNesting) return simdjson::DEPTH_ERROR;
      od::object object;
      if (auto e = value.get_object().get(object)) return e;
      for (auto result : object) {
        od::field field;
        if (auto e = std::move(result).get(field)) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = Drain(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      if (depth >= kMaxJsonNesting) return simdjson::DEPTH_ERROR;
      od::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto result : array) {
        od::value element;
        if (auto e = std::move(result).get(element)) return e;
        if (auto e = Drain(element, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text);
    }
    case od::json_type::number: {
      std::string_view token;
      return NumberToken(value, &token);
    }
    case od::json_type::boolean: {
      // type() looks at the first byte only; "tru" fails here, and simdjson
      // reports it as a type error rather than a bad literal.
      bool b = false;
      return value.get_bool().get(b) ? simdjson::T_ATOM_ERROR : simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      return value.is_null().get(is_null) || !is_null ? simdjson::N_ATOM_ERROR : simdjson::SUCCESS;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace promorec::event
