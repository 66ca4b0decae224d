#include "promorec/sagemaker/sagemaker_request.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "promorec/features/row_builder.h"
#include "promorec/sagemaker/recordio_codec.h"

namespace promorec::sagemaker {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

using Result = std::expected<void, InvocationError>;

// Names the original system's clients and the event JSON use for the model
// fields (row_builder.h), as (alias, field name).
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kKeyAliases = {{
    {"merchant", features::kEventFields[features::kProduct]},
    {"user_id", features::kEventFields[features::kUser]},
    {"offer_id", features::kEventFields[features::kOffer]},
    {"country", features::kEventFields[features::kCountry]},
}};

std::unexpected<InvocationError> Bad(std::string message) {
  return std::unexpected(InvocationError{InvocationErrorKind::kBadRequest, std::move(message)});
}

std::unexpected<InvocationError> ModelError(std::string message) {
  return std::unexpected(InvocationError{InvocationErrorKind::kModelError, std::move(message)});
}

std::string Instance(std::size_t i) { return "instance " + std::to_string(i) + ": "; }

std::string FormatDouble(double v) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

// The member `name` of `object`, if there.
std::optional<element> Member(const object& obj, std::string_view name) {
  element e;
  if (obj.at_key(name).get(e) != simdjson::SUCCESS) return std::nullopt;
  return e;
}

// A JSON number as a feature value: finite and within a float's range.
std::expected<float, std::string> NumberValue(const element& e, std::string_view what) {
  double d = 0;
  if (!e.is_number() || e.get_double().get(d) != simdjson::SUCCESS) {
    return std::unexpected(std::string(what) + " is not a number");
  }
  const auto f = static_cast<float>(d);
  if (!std::isfinite(f)) {
    return std::unexpected(std::string(what) + " " + FormatDouble(d) +
                           " does not fit a 32-bit float");
  }
  return f;
}

}  // namespace

InvocationDecoder::InvocationDecoder(const model::FeatureDictionary& dictionary,
                                     std::uint32_t num_features)
    : dictionary_(&dictionary),
      num_features_(num_features),
      field_of_index_(num_features, 0),
      offer_field_(dictionary.FieldIndex(features::kEventFields[features::kOffer])) {
  // Explicit entries first, then each field's hashed buckets in field order
  // (feature_dictionary.h); indices past the dictionary stay in field 0.
  const std::uint32_t explicit_size = std::min(dictionary.explicit_size(), num_features);
  for (std::uint32_t i = 0; i < explicit_size; ++i) field_of_index_[i] = dictionary.field_of(i);
  std::uint64_t next = dictionary.explicit_size();
  for (std::uint32_t field = 0; field < dictionary.fields().size(); ++field) {
    for (std::uint32_t b = 0; b < dictionary.buckets(field) && next < num_features; ++b) {
      field_of_index_[static_cast<std::size_t>(next++)] = field;
    }
  }
}

std::optional<std::uint32_t> InvocationDecoder::FieldOfKey(std::string_view key) const {
  if (auto field = dictionary_->FieldIndex(key)) return field;
  for (const auto& [alias, name] : kKeyAliases) {
    if (key == alias) return dictionary_->FieldIndex(name);
  }
  return std::nullopt;
}

namespace {

// The pieces of one JSON instance, checked one by one.
class InstanceReader {
 public:
  InstanceReader(const InvocationDecoder& decoder, const model::FeatureDictionary& dictionary,
                 std::uint32_t num_features, const std::vector<std::uint32_t>& field_of_index,
                 std::optional<std::uint32_t> offer_field, std::size_t instance,
                 std::vector<model::Feature>* out)
      : decoder_(decoder),
        dictionary_(dictionary),
        num_features_(num_features),
        field_of_index_(field_of_index),
        offer_field_(offer_field),
        prefix_(Instance(instance)),
        out_(out) {}

  Result Read(const element& e) {
    object obj;
    if (e.get_object().get(obj) != simdjson::SUCCESS) return Bad(prefix_ + "not a JSON object");
    const auto keys = Member(obj, "keys");
    const auto values = Member(obj, "values");
    const auto features = Member(obj, "features");
    const auto data = Member(obj, "data");
    const bool named = keys || values;
    if (named && (features || data)) {
      return Bad(prefix_ + "has both keys/values and features; give one of them");
    }
    if (named) return ReadNamed(keys, values);
    if (features && data) return Bad(prefix_ + "has both features and data; give one of them");
    if (features) return ReadNumeric(*features, "features");
    if (data) {
      object data_obj;
      if (data->get_object().get(data_obj) != simdjson::SUCCESS) {
        return Bad(prefix_ + "data is not a JSON object");
      }
      const auto inner = Member(data_obj, "features");
      if (!inner) return Bad(prefix_ + "data has no features");
      return ReadNumeric(*inner, "data.features");
    }
    return Bad(prefix_ + "has none of keys/values, features or data");
  }

 private:
  Result ReadNamed(const std::optional<element>& keys, const std::optional<element>& values) {
    array key_array, value_array;
    if (!keys || keys->get_array().get(key_array) != simdjson::SUCCESS) {
      return Bad(prefix_ + "keys is missing or not an array");
    }
    if (!values || values->get_array().get(value_array) != simdjson::SUCCESS) {
      return Bad(prefix_ + "values is missing or not an array");
    }
    if (key_array.size() != value_array.size()) {
      return Bad(prefix_ + std::to_string(key_array.size()) + " keys but " +
                 std::to_string(value_array.size()) + " values");
    }
    auto value_it = value_array.begin();
    std::size_t j = 0;
    for (const element k : key_array) {
      const element v = *value_it;
      ++value_it;
      std::string_view key, value;
      if (k.get_string().get(key) != simdjson::SUCCESS) {
        return Bad(prefix_ + "keys[" + std::to_string(j) + "] is not a string");
      }
      if (v.get_string().get(value) != simdjson::SUCCESS) {
        return Bad(prefix_ + "values[" + std::to_string(j) + "] (" + std::string(key) +
                   ") is not a string");
      }
      ++j;
      const auto field = decoder_.FieldOfKey(key);
      if (!field || value.empty() || (field == offer_field_ && value == "0")) continue;
      const auto index = dictionary_.Find(*field, value);
      if (!index) continue;
      if (*index >= num_features_) {
        return ModelError(prefix_ + "the dictionary puts " + std::string(key) + " '" +
                          std::string(value) + "' at index " + std::to_string(*index) +
                          ", beyond the model's " + std::to_string(num_features_) + " features");
      }
      out_->push_back({*field, *index, 1.0f});
    }
    return {};
  }

  // A dense array of numbers, or {"keys", "values", "shape"} as in RecordIO.
  Result ReadNumeric(const element& e, std::string_view name) {
    array dense;
    if (e.get_array().get(dense) == simdjson::SUCCESS) {
      std::uint64_t j = 0;
      for (const element v : dense) {
        auto value = NumberValue(v, std::string(name) + "[" + std::to_string(j) + "]");
        if (!value) return Bad(prefix_ + value.error());
        if (*value != 0.0f) {
          if (auto added = Add(j, *value); !added) return added;
        }
        ++j;
      }
      return {};
    }
    object sparse;
    if (e.get_object().get(sparse) != simdjson::SUCCESS) {
      return Bad(prefix_ + std::string(name) + " is neither an array nor an object");
    }
    const auto keys = Member(sparse, "keys");
    const auto values = Member(sparse, "values");
    array key_array, value_array;
    if (!keys || keys->get_array().get(key_array) != simdjson::SUCCESS || !values ||
        values->get_array().get(value_array) != simdjson::SUCCESS) {
      return Bad(prefix_ + std::string(name) + " needs keys and values arrays");
    }
    if (key_array.size() != value_array.size()) {
      return Bad(prefix_ + std::string(name) + ": " + std::to_string(key_array.size()) +
                 " keys but " + std::to_string(value_array.size()) + " values");
    }
    std::optional<std::uint64_t> shape;
    if (const auto shape_element = Member(sparse, "shape")) {
      array shape_array;
      std::uint64_t n = 0;
      if (shape_element->get_array().get(shape_array) != simdjson::SUCCESS ||
          shape_array.size() != 1 || shape_array.at(0).get_uint64().get(n) != simdjson::SUCCESS) {
        return Bad(prefix_ + std::string(name) + ".shape must be one non-negative integer");
      }
      shape = n;
    }
    auto value_it = value_array.begin();
    std::size_t j = 0;
    for (const element k : key_array) {
      const element v = *value_it;
      ++value_it;
      const std::string at = "[" + std::to_string(j++) + "]";
      const std::string key_name = std::string(name) + ".keys" + at;
      std::uint64_t key = 0;
      if (k.get_uint64().get(key) != simdjson::SUCCESS) {
        return Bad(prefix_ + key_name + " is not a non-negative integer");
      }
      if (shape && key >= *shape) {
        return Bad(prefix_ + key_name + " " + std::to_string(key) + " is >= shape " +
                   std::to_string(*shape));
      }
      auto value = NumberValue(v, std::string(name) + ".values" + at);
      if (!value) return Bad(prefix_ + value.error());
      if (auto added = Add(key, *value); !added) return added;
    }
    return {};
  }

  Result Add(std::uint64_t index, float value) {
    if (index >= num_features_) {
      return ModelError(prefix_ + "feature index " + std::to_string(index) +
                        " is beyond the model's " + std::to_string(num_features_) + " features");
    }
    const auto i = static_cast<std::uint32_t>(index);
    out_->push_back({field_of_index_[i], i, value});
    return {};
  }

  const InvocationDecoder& decoder_;
  const model::FeatureDictionary& dictionary_;
  std::uint32_t num_features_;
  const std::vector<std::uint32_t>& field_of_index_;
  std::optional<std::uint32_t> offer_field_;
  std::string prefix_;
  std::vector<model::Feature>* out_;
};

std::string TooMany() {
  return "more than " + std::to_string(kMaxInvocationInstances) + " instances in one request";
}

}  // namespace

Result InvocationDecoder::DecodeJson(std::string_view body, InvocationRows* rows) const {
  // A parser per call: requests arrive on many threads, and the parser's
  // buffers are sized to the body anyway.
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(body.data(), body.size());
  element doc;
  if (const auto error = parser.parse(padded).get(doc); error != simdjson::SUCCESS) {
    return Bad(std::string("body is not valid JSON: ") + simdjson::error_message(error));
  }
  object top;
  array instances;
  if (doc.get_object().get(top) != simdjson::SUCCESS) {
    return Bad("body is not a JSON object with an \"instances\" array");
  }
  const auto member = Member(top, "instances");
  if (!member || member->get_array().get(instances) != simdjson::SUCCESS) {
    return Bad("body is not a JSON object with an \"instances\" array");
  }
  if (instances.size() > kMaxInvocationInstances) return Bad(TooMany());
  std::size_t i = 0;
  for (const element instance : instances) {
    InstanceReader reader(*this, *dictionary_, num_features_, field_of_index_, offer_field_, i++,
                          rows->open_row());
    if (auto read = reader.Read(instance); !read) return read;
    rows->EndRow();
  }
  return {};
}

Result InvocationDecoder::DecodeRecordIo(std::string_view body, InvocationRows* rows) const {
  sagemaker::RecordIoFramer framer(body);
  const sagemaker::RecordIoFields fields{&field_of_index_};
  std::uint64_t offset = 0;
  std::size_t i = 0;
  while (offset < framer.size()) {
    if (i == kMaxInvocationInstances) return Bad(TooMany());
    const std::string prefix =
        "instance " + std::to_string(i) + " (byte " + std::to_string(offset) + "): ";
    auto frame = framer.Next(offset);
    if (!frame) return Bad(prefix + frame.error().message());
    if (!frame->error.empty()) return Bad(prefix + frame->error);
    std::vector<model::Feature>* out = rows->open_row();
    const std::size_t begin = out->size();
    if (auto parsed = sagemaker::ParseRecordIoFeatures(frame->payload, fields, out); !parsed) {
      return Bad(prefix + parsed.error().message());
    }
    for (std::size_t j = begin; j < out->size(); ++j) {
      if ((*out)[j].index >= num_features_) {
        return ModelError(Instance(i) + "feature index " + std::to_string((*out)[j].index) +
                          " is beyond the model's " + std::to_string(num_features_) + " features");
      }
    }
    rows->EndRow();
    offset = frame->end;
    ++i;
  }
  return {};
}

}  // namespace promorec::sagemaker
