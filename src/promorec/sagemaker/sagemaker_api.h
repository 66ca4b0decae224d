// The SageMaker model-server contract (the container side of a SageMaker
// endpoint): `GET /ping` and `POST /invocations`, scoring with a promorec
// model, independent of the HTTP transport. The route table maps both
// routes (and `POST /endpoints/{name}/invocations`) onto these methods and
// copies the reply out. Request and response shapes, status codes and
// limits: docs/api/sagemaker.md.
// Thread-safety: Ping and Invoke may run concurrently from any number of
// threads while the model in service is swapped; each call reads it once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/model/per_model.h"
#include "promorec/model/serving_model.h"
#include "promorec/sagemaker/sagemaker_request.h"

namespace promorec::sagemaker {

// Bodies above this are refused with 413 before they are parsed: the
// payload limit of a SageMaker real-time endpoint (6 MB), which the
// original system's clients already respect.
inline constexpr std::size_t kSageMakerMaxBodyBytes = 6 * 1000 * 1000;

inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kRecordIoType = "application/x-recordio-protobuf";

struct SageMakerReply {
  int status = 200;
  std::string content_type;
  std::string body;
  // Extra response headers, such as x-amzn-ErrorType on errors.
  std::vector<std::pair<std::string, std::string>> headers;
};

class SageMakerApi {
 public:
  // Scores with the model in service at each call; without one Ping and
  // Invoke answer 503. `models` must outlive the SageMakerApi.
  explicit SageMakerApi(const model::ServingModelHandle& models);
  ~SageMakerApi();

  SageMakerApi(const SageMakerApi&) = delete;
  SageMakerApi& operator=(const SageMakerApi&) = delete;

  // 200 with an empty body when a model is loaded, else 503.
  SageMakerReply Ping() const;

  // Scores every instance of `body` (Content-Type `content_type`) and
  // answers in the type `accept` asks for: application/json or
  // application/x-recordio-protobuf, either way round. An empty Accept,
  // `*/*` or `application/*` answers in the request's own type.
  SageMakerReply Invoke(std::string_view content_type, std::string_view accept,
                        std::string_view body) const;

 private:
  enum class Format { kJson, kRecordIo };

  static std::optional<Format> ContentFormat(std::string_view content_type);
  static std::optional<Format> AcceptFormat(std::string_view accept, Format request);

  // The request decoder of the model in service.
  const model::PerModel<sagemaker::InvocationDecoder> decoder_;
};

}  // namespace promorec::sagemaker
