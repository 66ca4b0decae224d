// The request side of SageMaker's /invocations contract: a request body
// (JSON instances or RecordIO-protobuf records) to sparse rows of a
// promorec model. Named instances ({"keys": [...], "values": [...]}, the
// original system's request) go through the model's feature dictionary
// the way event rows do (row_builder.h): a value the dictionary does not
// know, a key that names no field of the model, an empty value and the
// offer id "0" contribute nothing. Numeric instances and records carry
// feature indices, whose fields come from the dictionary. The HTTP route
// that uses this (http/sagemaker_api.h) adds content negotiation, scoring
// and the response; the contract is written down in docs/api/sagemaker.md.
// Thread-safety: a decoder is immutable after construction; its const
// methods may run concurrently. The dictionary must outlive the decoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/model/feature_dictionary.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::sagemaker {

// Instances (JSON) or records (RecordIO) one request may hold.
inline constexpr std::size_t kMaxInvocationInstances = 10000;

// The rows of one request, stored back to back.
class InvocationRows {
 public:
  std::size_t size() const { return ends_.size(); }
  std::span<const model::Feature> row(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::span<const model::Feature>(features_).subspan(begin, ends_[i] - begin);
  }
  void Clear() {
    features_.clear();
    ends_.clear();
  }
  // Features of the row being built; EndRow closes it.
  std::vector<model::Feature>* open_row() { return &features_; }
  void EndRow() { ends_.push_back(features_.size()); }

 private:
  std::vector<model::Feature> features_;
  std::vector<std::size_t> ends_;
};

enum class InvocationErrorKind : std::uint8_t {
  // The body is malformed: HTTP 400.
  kBadRequest,
  // The body is well formed but the model cannot score it (a feature index
  // beyond the model): SageMaker's ModelError, HTTP 424.
  kModelError,
};

struct InvocationError {
  InvocationErrorKind kind = InvocationErrorKind::kBadRequest;
  // "instance 3: 5 keys but 4 values"; instances count from 0.
  std::string message;
};

class InvocationDecoder {
 public:
  // `num_features` is the model's; indices at or above it are model errors.
  InvocationDecoder(const model::FeatureDictionary& dictionary, std::uint32_t num_features);

  // {"instances": [...]}, each instance one of
  //   {"keys": ["userid", ...], "values": ["u1", ...]}   (strings only)
  //   {"features": [0, 1.5, ...]}                         (dense)
  //   {"data": {"features": [...] or {"keys": [...], "values": [...], "shape": [n]}}}
  // Appends one row per instance to `*rows`; on error `*rows` holds an
  // unspecified prefix.
  std::expected<void, InvocationError> DecodeJson(std::string_view body,
                                                  InvocationRows* rows) const;

  // One or more framed RecordIO records, features["values"] a Float32Tensor
  // (keys = feature indices, shape = [num_features]; or dense). Labels are
  // ignored.
  std::expected<void, InvocationError> DecodeRecordIo(std::string_view body,
                                                      InvocationRows* rows) const;

  // The model field a request key names: the field of that name, or the
  // field an alias stands for (merchant -> product, user_id -> userid,
  // offer_id -> offerid, country -> countrycode).
  std::optional<std::uint32_t> FieldOfKey(std::string_view key) const;

 private:
  // The field of a feature index below num_features.
  std::uint32_t FieldOfIndex(std::uint32_t index) const { return field_of_index_[index]; }

  const model::FeatureDictionary* dictionary_;
  std::uint32_t num_features_;
  std::vector<std::uint32_t> field_of_index_;
  std::optional<std::uint32_t> offer_field_;
};

}  // namespace promorec::sagemaker
