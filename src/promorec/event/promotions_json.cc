#include "promorec/event/promotions_json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "promorec/base/json_string.h"
#include "promorec/event/decode_error.h"
#include "promorec/event/json_scan.h"
#include "promorec/event/limits.h"
#include "promorec/event/timestamp.h"
#include "promorec/event/validate.h"

namespace promorec::event {
namespace {

namespace dom = simdjson::dom;
using simdjson::SUCCESS;

constexpr double kMaxTimestampSecondsDouble = static_cast<double>(kMaxTimestampSeconds);

std::string TypeName(const dom::element& e) {
  switch (e.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown type";
}

std::string FormatDouble(double v) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

constexpr std::string_view kEligibilityKeys[] = {
    "countries",  "categories",  "products",          "min_price",
    "valid_from", "valid_until", "new_shoppers_only", "returning_shoppers_only"};

bool IsEligibilityKey(std::string_view key) {
  return std::find(std::begin(kEligibilityKeys), std::end(kEligibilityKeys), key) !=
         std::end(kEligibilityKeys);
}

// Reads one file; the first error found ends it.
class PromotionsReader {
 public:
  explicit PromotionsReader(std::string_view source) : source_(source) {}

  base::Result<std::vector<Promotion>> Read(const dom::element& root);

 private:
  std::unexpected<base::Error> Fail(std::string_view path, std::string_view why) const {
    std::string message(source_);
    message += ": ";
    if (!path.empty()) {
      message += path;
      message += ": ";
    }
    message += why;
    return base::InvalidArgument(std::move(message));
  }

  // Fails when `key` was seen before in the same object.
  base::Status Once(const std::string& path, std::string_view key,
                    std::vector<std::string_view>* seen) const {
    if (std::find(seen->begin(), seen->end(), key) != seen->end()) {
      return Fail(path, "key " + QuoteForError(key) + " is given twice");
    }
    seen->push_back(key);
    return {};
  }

  base::Status ReadList(const dom::element& root);
  base::Status ReadPromotion(const dom::element& e, std::size_t index);
  base::Status ReadEligibility(const std::string& path, const dom::element& e, Promotion* out);
  base::Status ReadString(const std::string& path, const dom::element& e, std::size_t limit,
                          std::string* out) const;
  base::Status ReadStrings(const std::string& path, const dom::element& e,
                           std::vector<std::string>* out) const;
  base::Status ReadTimestamp(const std::string& path, const dom::element& e,
                             std::optional<std::int64_t>* out) const;
  base::Status ReadBool(const std::string& path, const dom::element& e, bool* out) const;
  base::Status ReadBudget(const std::string& path, const dom::element& e, Budget* out) const;
  base::Status ReadCount(const std::string& path, const dom::element& e,
                         std::optional<std::uint64_t>* out) const;

  std::string_view source_;
  std::vector<Promotion> promotions_;
  // Id -> index of the promotion that has it.
  std::unordered_map<std::string, std::size_t> ids_;
};

base::Result<std::vector<Promotion>> PromotionsReader::Read(const dom::element& root) {
  dom::object top;
  if (root.get(top) == SUCCESS) {
    std::vector<std::string_view> seen;
    std::optional<dom::element> list;
    for (const dom::key_value_pair field : top) {
      PROMOREC_RETURN_IF_ERROR(Once("", field.key, &seen));
      if (field.key != "promotions") {
        return Fail(
            "", "unknown key " + QuoteForError(field.key) + " (the only key is \"promotions\")");
      }
      list = field.value;
    }
    if (!list) return Fail("promotions", "required");
    PROMOREC_RETURN_IF_ERROR(ReadList(*list));
  } else if (root.is_array()) {
    PROMOREC_RETURN_IF_ERROR(ReadList(root));
  } else {
    return Fail(
        "", "expected an array of promotions or {\"promotions\": [...]}, got " + TypeName(root));
  }
  return std::move(promotions_);
}

base::Status PromotionsReader::ReadList(const dom::element& list) {
  dom::array array;
  if (list.get(array) != SUCCESS) {
    return Fail("promotions", "must be an array, got " + TypeName(list));
  }
  std::size_t index = 0;
  for (const dom::element item : array) PROMOREC_RETURN_IF_ERROR(ReadPromotion(item, index++));
  if (index == 0) return Fail("promotions", "the list is empty");
  return {};
}

base::Status PromotionsReader::ReadPromotion(const dom::element& e, std::size_t index) {
  const std::string path = "promotions[" + std::to_string(index) + "]";
  dom::object object;
  if (e.get(object) != SUCCESS) return Fail(path, "expected an object, got " + TypeName(e));
  Promotion p;
  bool has_code = false;
  std::vector<std::string_view> seen;
  for (const dom::key_value_pair field : object) {
    PROMOREC_RETURN_IF_ERROR(Once(path, field.key, &seen));
    const std::string key_path = path + "." + std::string(field.key);
    if (field.key == "id") {
      if (!field.value.is_null()) {
        PROMOREC_RETURN_IF_ERROR(ReadString(key_path, field.value, kMaxIdBytes, &p.id));
      }
    } else if (field.key == "text") {
      if (!field.value.is_null()) {
        PROMOREC_RETURN_IF_ERROR(
            ReadString(key_path, field.value, kMaxPromotionTextBytes, &p.text));
      }
    } else if (field.key == "code") {
      has_code = !field.value.is_null();
      if (has_code) {
        PROMOREC_RETURN_IF_ERROR(ReadString(key_path, field.value, kMaxIdBytes, &p.code));
      }
    } else if (field.key == "subject" || field.key == "message") {
      if (!field.value.is_null()) {
        PROMOREC_RETURN_IF_ERROR(
            ReadString(key_path, field.value,
                       field.key == "subject" ? kMaxPromotionTextBytes : kMaxPromotionMessageBytes,
                       field.key == "subject" ? &p.subject : &p.message));
      }
    } else if (field.key == "budget") {
      PROMOREC_RETURN_IF_ERROR(ReadBudget(key_path, field.value, &p.budget));
    } else if (field.key == "eligibility") {
      PROMOREC_RETURN_IF_ERROR(ReadEligibility(key_path, field.value, &p));
    } else {
      return Fail(path,
                  "unknown key " + QuoteForError(field.key) +
                      (IsEligibilityKey(field.key) ? " (it belongs in \"eligibility\")" : ""));
    }
  }
  if (p.id.empty()) return Fail(path + ".id", "required");
  if (p.text.empty()) return Fail(path + ".text", "required");
  if (!has_code) p.code = p.id;
  const auto [it, inserted] = ids_.try_emplace(p.id, index);
  if (!inserted) {
    return Fail(path + ".id", QuoteForError(p.id) + " is already the id of promotions[" +
                                  std::to_string(it->second) + "]");
  }
  promotions_.push_back(std::move(p));
  return {};
}

base::Status PromotionsReader::ReadEligibility(const std::string& path, const dom::element& e,
                                               Promotion* out) {
  if (e.is_null()) return {};
  dom::object object;
  if (e.get(object) != SUCCESS) return Fail(path, "must be an object, got " + TypeName(e));
  Eligibility& rules = out->eligibility;
  bool new_only = false;
  bool returning_only = false;
  std::vector<std::string_view> seen;
  for (const dom::key_value_pair field : object) {
    PROMOREC_RETURN_IF_ERROR(Once(path, field.key, &seen));
    const std::string key_path = path + "." + std::string(field.key);
    const dom::element& v = field.value;
    const std::string_view key = field.key;
    if (key == "countries") {
      PROMOREC_RETURN_IF_ERROR(ReadStrings(key_path, v, &rules.countries));
    } else if (key == "categories") {
      PROMOREC_RETURN_IF_ERROR(ReadStrings(key_path, v, &rules.categories));
    } else if (key == "products") {
      PROMOREC_RETURN_IF_ERROR(ReadStrings(key_path, v, &rules.products));
    } else if (key == "min_price") {
      double price = 0;
      if (v.is_null()) continue;
      if (!v.is_number() || v.get_double().get(price) != SUCCESS) {
        return Fail(key_path, "must be a number >= 0, got " + TypeName(v));
      }
      if (!(price >= 0) || !std::isfinite(price)) {
        return Fail(key_path, "must be a number >= 0, got " + FormatDouble(price));
      }
      rules.min_price = price;
    } else if (key == "valid_from") {
      PROMOREC_RETURN_IF_ERROR(ReadTimestamp(key_path, v, &out->valid_from_us));
    } else if (key == "valid_until") {
      PROMOREC_RETURN_IF_ERROR(ReadTimestamp(key_path, v, &out->valid_until_us));
    } else if (key == "new_shoppers_only") {
      PROMOREC_RETURN_IF_ERROR(ReadBool(key_path, v, &new_only));
    } else if (key == "returning_shoppers_only") {
      PROMOREC_RETURN_IF_ERROR(ReadBool(key_path, v, &returning_only));
    } else {
      return Fail(path, "unknown key " + QuoteForError(key));
    }
  }
  if (out->valid_from_us && out->valid_until_us && *out->valid_from_us >= *out->valid_until_us) {
    return Fail(path, "valid_from must be before valid_until");
  }
  if (new_only && returning_only) {
    return Fail(path, "new_shoppers_only and returning_shoppers_only cannot both be true");
  }
  rules.shoppers = new_only         ? ShopperRule::kNewOnly
                   : returning_only ? ShopperRule::kReturningOnly
                                    : ShopperRule::kAll;
  return {};
}

base::Status PromotionsReader::ReadString(const std::string& path, const dom::element& e,
                                          std::size_t limit, std::string* out) const {
  std::string_view text;
  if (e.get(text) != SUCCESS) return Fail(path, "must be a string, got " + TypeName(e));
  if (text.empty()) return Fail(path, "must not be empty");
  // UTF-8 is checked by the JSON parser for the whole file.
  if (auto shape = CheckValueShape("", text, limit); !shape) {
    return Fail(path, shape.error().detail);
  }
  out->assign(text);
  return {};
}

base::Status PromotionsReader::ReadStrings(const std::string& path, const dom::element& e,
                                           std::vector<std::string>* out) const {
  if (e.is_null()) return {};
  dom::array array;
  if (e.get(array) != SUCCESS) {
    return Fail(path, "must be an array of strings, got " + TypeName(e));
  }
  if (array.size() > kMaxEligibilityListItems) {
    return Fail(path, "has " + std::to_string(array.size()) + " items, the limit is " +
                          std::to_string(kMaxEligibilityListItems));
  }
  out->clear();
  std::size_t i = 0;
  for (const dom::element item : array) {
    PROMOREC_RETURN_IF_ERROR(ReadString(path + "[" + std::to_string(i++) + "]", item, kMaxIdBytes,
                                        &out->emplace_back()));
  }
  return {};
}

base::Status PromotionsReader::ReadTimestamp(const std::string& path, const dom::element& e,
                                             std::optional<std::int64_t>* out) const {
  if (e.is_null()) return {};
  std::string_view text;
  if (e.get(text) == SUCCESS) {
    auto parsed = ParseTimestamp(text);
    if (!parsed) return Fail(path, parsed.error().message() + ", got " + QuoteForError(text));
    *out = *parsed;
    return {};
  }
  double seconds = 0;
  if (!e.is_number() || e.get_double().get(seconds) != SUCCESS) {
    return Fail(path, "must be epoch seconds or a UTC date-time string, got " + TypeName(e));
  }
  if (!(seconds >= 0 && seconds < kMaxTimestampSecondsDouble)) {
    return Fail(path, "timestamp outside 1970-01-01 .. 2200-01-01, got " + FormatDouble(seconds));
  }
  const std::int64_t us = std::llround(seconds * 1e6);
  if (us >= kMaxTimestampSeconds * 1'000'000) {
    return Fail(path, "timestamp outside 1970-01-01 .. 2200-01-01, got " + FormatDouble(seconds));
  }
  *out = us;
  return {};
}

base::Status PromotionsReader::ReadBudget(const std::string& path, const dom::element& e,
                                          Budget* out) const {
  if (e.is_null()) return {};
  dom::object object;
  if (e.get(object) != SUCCESS) return Fail(path, "must be an object, got " + TypeName(e));
  std::vector<std::string_view> seen;
  for (const dom::key_value_pair field : object) {
    PROMOREC_RETURN_IF_ERROR(Once(path, field.key, &seen));
    const std::string key_path = path + "." + std::string(field.key);
    if (field.key == "impressions_per_day") {
      PROMOREC_RETURN_IF_ERROR(ReadCount(key_path, field.value, &out->impressions_per_day));
    } else if (field.key == "redemptions_per_day") {
      PROMOREC_RETURN_IF_ERROR(ReadCount(key_path, field.value, &out->redemptions_per_day));
    } else {
      return Fail(path, "unknown key " + QuoteForError(field.key) +
                            " (the keys are impressions_per_day and redemptions_per_day)");
    }
  }
  return {};
}

base::Status PromotionsReader::ReadCount(const std::string& path, const dom::element& e,
                                         std::optional<std::uint64_t>* out) const {
  if (e.is_null()) return {};
  std::uint64_t value = 0;
  if (e.get(value) != SUCCESS || value == 0) {
    return Fail(path, "must be a whole number >= 1, got " +
                          (e.is_number() ? simdjson::minify(e) : TypeName(e)));
  }
  *out = value;
  return {};
}

base::Status PromotionsReader::ReadBool(const std::string& path, const dom::element& e,
                                        bool* out) const {
  if (e.is_null()) return {};
  if (e.get(*out) != SUCCESS) return Fail(path, "must be true or false, got " + TypeName(e));
  return {};
}

void AppendStrings(std::string_view key, const std::vector<std::string>& values, std::string* out) {
  if (values.empty()) return;
  *out += ",\"";
  *out += key;
  *out += "\":[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) *out += ',';
    base::AppendJsonString(values[i], out);
  }
  *out += ']';
}

void AppendTimestamp(std::string_view key, std::optional<std::int64_t> us, std::string* out) {
  if (!us) return;
  *out += ",\"";
  *out += key;
  *out += "\":\"";
  AppendEpochSeconds(*us, out);
  *out += '"';
}

}  // namespace

base::Result<std::vector<Promotion>> ParsePromotionsJson(std::string_view text,
                                                         std::string_view source) {
  if (SkipJsonSpace(text, 0) == text.size()) {
    return base::InvalidArgument(std::string(source) + ": the file is empty");
  }
  dom::parser parser;
  dom::element root;
  if (const auto error = parser.parse(text.data(), text.size()).get(root); error != SUCCESS) {
    return base::InvalidArgument(std::string(source) +
                                 ": not valid JSON: " + simdjson::error_message(error));
  }
  return PromotionsReader(source).Read(root);
}

void AppendPromotionsJson(std::span<const Promotion> promotions, std::string* out) {
  *out += '[';
  for (std::size_t i = 0; i < promotions.size(); ++i) {
    const Promotion& p = promotions[i];
    if (i > 0) *out += ",\n";
    *out += "{\"id\":";
    base::AppendJsonString(p.id, out);
    *out += ",\"text\":";
    base::AppendJsonString(p.text, out);
    *out += ",\"code\":";
    base::AppendJsonString(p.code, out);
    if (!p.subject.empty()) {
      *out += ",\"subject\":";
      base::AppendJsonString(p.subject, out);
    }
    if (!p.message.empty()) {
      *out += ",\"message\":";
      base::AppendJsonString(p.message, out);
    }
    if (p.budget.Limited()) {
      *out += ",\"budget\":{";
      if (p.budget.impressions_per_day) {
        *out += "\"impressions_per_day\":" + std::to_string(*p.budget.impressions_per_day);
      }
      if (p.budget.redemptions_per_day) {
        if (p.budget.impressions_per_day) *out += ',';
        *out += "\"redemptions_per_day\":" + std::to_string(*p.budget.redemptions_per_day);
      }
      *out += '}';
    }
    *out += ",\"eligibility\":{\"new_shoppers_only\":";
    const Eligibility& e = p.eligibility;
    *out += e.shoppers == ShopperRule::kNewOnly ? "true" : "false";
    *out += ",\"returning_shoppers_only\":";
    *out += e.shoppers == ShopperRule::kReturningOnly ? "true" : "false";
    AppendStrings("countries", e.countries, out);
    AppendStrings("categories", e.categories, out);
    AppendStrings("products", e.products, out);
    if (e.min_price) *out += ",\"min_price\":" + FormatDouble(*e.min_price);
    AppendTimestamp("valid_from", p.valid_from_us, out);
    AppendTimestamp("valid_until", p.valid_until_us, out);
    *out += "}}";
  }
  *out += "]\n";
}

}  // namespace promorec::event
