#include "promorec/sagemaker/sagemaker_api.h"

#include <charconv>
#include <cmath>
#include <exception>
#include <span>
#include <utility>
#include <vector>

#include "promorec/base/json_string.h"
#include "promorec/base/strings.h"
#include "promorec/model/predict.h"
#include "promorec/sagemaker/recordio_codec.h"

namespace promorec::sagemaker {
namespace {

// A reply in the project's error shape, with the error type AWS SDK
// clients read (SageMaker runtime's names: ValidationError, ModelError,
// ServiceUnavailable, InternalFailure).
SageMakerReply Error(int status, std::string_view code, std::string_view message,
                     std::string_view amzn_type) {
  SageMakerReply reply;
  reply.status = status;
  reply.content_type = std::string(kJsonType);
  reply.body = base::ErrorJson(code, message);
  reply.headers.emplace_back("x-amzn-ErrorType", std::string(amzn_type));
  return reply;
}

SageMakerReply NoModel() {
  return Error(503, "model_not_loaded", "no model is loaded", "ServiceUnavailable");
}

using base::MediaType;
using base::Trim;

bool SameType(std::string_view a, std::string_view b) { return base::EqualsIgnoreCase(a, b); }

void AppendFloat(float v, std::string* out) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, result.ptr);
}

}  // namespace

SageMakerApi::SageMakerApi(const model::ServingModelHandle& models)
    : decoder_(models, [](const model::ServingModel& model) {
        return sagemaker::InvocationDecoder(model.dictionary(),
                                            model.params().shape().num_features);
      }) {}

SageMakerApi::~SageMakerApi() = default;

std::optional<SageMakerApi::Format> SageMakerApi::ContentFormat(std::string_view content_type) {
  const std::string_view type = MediaType(content_type);
  if (SameType(type, kJsonType)) return Format::kJson;
  if (SameType(type, kRecordIoType)) return Format::kRecordIo;
  return std::nullopt;
}

std::optional<SageMakerApi::Format> SageMakerApi::AcceptFormat(std::string_view accept,
                                                               Format request) {
  if (Trim(accept).empty()) return request;
  // The first listed type we can produce wins; quality values are not
  // weighed (clients of this contract list one type).
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const std::string_view type = MediaType(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    if (SameType(type, kJsonType)) return Format::kJson;
    if (SameType(type, kRecordIoType)) return Format::kRecordIo;
    if (SameType(type, "*/*") || SameType(type, "application/*")) return request;
  }
  return std::nullopt;
}

SageMakerReply SageMakerApi::Ping() const {
  if (!decoder_.Current()) return NoModel();
  SageMakerReply reply;
  reply.content_type = "text/plain";
  return reply;
}

SageMakerReply SageMakerApi::Invoke(std::string_view content_type, std::string_view accept,
                                    std::string_view body) const {
  try {
    // Holds the model for this call.
    const auto bound = decoder_.Current();
    if (!bound) return NoModel();
    const model::ServingModel& served = *bound->model;
    const auto request = ContentFormat(content_type);
    if (!request) {
      return Error(415, "unsupported_media_type",
                   "Content-Type '" + std::string(content_type) + "' is not supported; send " +
                       std::string(kJsonType) + " or " + std::string(kRecordIoType),
                   "ValidationError");
    }
    const auto answer = AcceptFormat(accept, *request);
    if (!answer) {
      return Error(415, "unsupported_media_type",
                   "Accept '" + std::string(accept) + "' is not supported; ask for " +
                       std::string(kJsonType) + " or " + std::string(kRecordIoType),
                   "ValidationError");
    }
    if (body.size() > kSageMakerMaxBodyBytes) {
      return Error(413, "body_too_large",
                   "body of " + std::to_string(body.size()) + " bytes is above the limit of " +
                       std::to_string(kSageMakerMaxBodyBytes),
                   "ValidationError");
    }
    sagemaker::InvocationRows rows;
    const auto decoded = *request == Format::kJson ? bound->value.DecodeJson(body, &rows)
                                                   : bound->value.DecodeRecordIo(body, &rows);
    if (!decoded) {
      if (decoded.error().kind == sagemaker::InvocationErrorKind::kModelError) {
        return Error(424, "model_error", decoded.error().message, "ModelError");
      }
      return Error(400, "invalid_request", decoded.error().message, "ValidationError");
    }

    // A logistic model is a binary classifier (score = probability, plus
    // predicted_label); a squared-loss model is a regressor (score only),
    // as SageMaker's factorization machines answer for the two.
    const bool classifier = served.loss() == model::Loss::kLogistic;
    std::vector<float> scores(rows.size());
    std::vector<model::Feature> scratch;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      scores[i] = served.Predict(rows.row(i), &scratch);
      if (!std::isfinite(scores[i])) {
        return Error(424, "model_error",
                     "instance " + std::to_string(i) + ": the model gave a non-finite score",
                     "ModelError");
      }
    }

    SageMakerReply reply;
    if (*answer == Format::kJson) {
      reply.content_type = std::string(kJsonType);
      reply.body.reserve(16 + scores.size() * 48);
      reply.body = "{\"predictions\":[";
      for (std::size_t i = 0; i < scores.size(); ++i) {
        if (i > 0) reply.body += ',';
        reply.body += "{\"score\":";
        AppendFloat(scores[i], &reply.body);
        if (classifier)
          reply.body += scores[i] >= 0.5f ? ",\"predicted_label\":1" : ",\"predicted_label\":0";
        reply.body += '}';
      }
      reply.body += "]}";
    } else {
      reply.content_type = std::string(kRecordIoType);
      reply.body.reserve(scores.size() * 64);
      for (const float score : scores) {
        const std::pair<std::string_view, float> labels[] = {
            {"score", score}, {"predicted_label", score >= 0.5f ? 1.0f : 0.0f}};
        sagemaker::AppendRecordIoLabels(std::span(labels, classifier ? 2 : 1), &reply.body);
      }
    }
    return reply;
  } catch (const std::exception& e) {
    return Error(500, "internal", e.what(), "InternalFailure");
  }
}

}  // namespace promorec::sagemaker
