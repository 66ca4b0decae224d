// Fuzzes the request side of SageMaker's /invocations (the body parsing
// sagemaker/sagemaker_api.cc runs): the input is the body, decoded as JSON and as RecordIO against
// a small event model, and every accepted row is scored and written out as
// a RecordIO response the way the route does. Nothing may crash; accepted
// rows must be in range and few enough; every score must be a probability;
// a refused body must say why.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/features/row_builder.h"
#include "promorec/model/predict.h"
#include "promorec/sagemaker/recordio_codec.h"
#include "promorec/sagemaker/sagemaker_request.h"

namespace {

namespace model = promorec::model;
namespace features = promorec::features;

struct Fixture {
  model::FeatureDictionary dictionary;
  model::FfmParams params;

  static model::FfmParams Params(std::uint32_t num_features) {
    const model::FfmShape shape{model::ModelType::kFfm, num_features, 7, 4};
    return std::move(*model::FfmParams::Create(shape, 3, 0.5f));
  }
  static model::FeatureDictionary Dictionary() {
    auto d = features::NewEventDictionary();
    for (const char* user : {"u1", "u2"}) d.Add(features::kUser, user);
    for (const char* offer : {"o1", "o9"}) d.Add(features::kOffer, offer);
    d.Add(features::kCountry, "de");
    d.Add(features::kProduct, "m3");
    d.SetHashedBuckets(features::kCategory, 3);
    return d;
  }
  Fixture() : dictionary(Dictionary()), params(Params(dictionary.size())) {}
};

void CheckRows(const Fixture& fixture, const promorec::sagemaker::InvocationRows& rows) {
  if (rows.size() > promorec::sagemaker::kMaxInvocationInstances) std::abort();
  std::vector<model::Feature> scratch;
  std::string response;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const auto& f : rows.row(i)) {
      if (f.index >= fixture.dictionary.size() || f.field >= 7 || !std::isfinite(f.value)) {
        std::abort();
      }
    }
    const bool normalise = (i & 1) != 0;
    const float score = model::PredictProbability(fixture.params, rows.row(i), normalise, &scratch);
    // Huge values may overflow the logit; the route answers 424 then.
    if (!std::isfinite(score)) continue;
    if (score < 0.0f || score > 1.0f) std::abort();
    const std::pair<std::string_view, float> labels[] = {{"score", score},
                                                         {"predicted_label", 1.0f}};
    response.clear();
    promorec::sagemaker::AppendRecordIoLabels(labels, &response);
    promorec::sagemaker::RecordIoFramer framer(response);
    auto frame = framer.Next(0);
    if (!frame || !frame->error.empty()) std::abort();
    auto read = promorec::sagemaker::ParseRecordIoLabelValue(frame->payload, "score");
    if (!read || *read != score) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  static const promorec::sagemaker::InvocationDecoder decoder(fixture.dictionary,
                                                              fixture.dictionary.size());
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const bool json : {true, false}) {
    promorec::sagemaker::InvocationRows rows;
    const auto decoded =
        json ? decoder.DecodeJson(body, &rows) : decoder.DecodeRecordIo(body, &rows);
    if (!decoded) {
      if (decoded.error().message.empty()) std::abort();
      continue;
    }
    CheckRows(fixture, rows);
  }
  return 0;
}
