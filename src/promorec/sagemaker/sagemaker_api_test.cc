#include "promorec/sagemaker/sagemaker_api.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "promorec/base/json_string.h"
#include "promorec/features/row_builder.h"
#include "promorec/model/predict.h"
#include "promorec/sagemaker/recordio_codec.h"
#include "promorec/sagemaker/recordio_test_util.h"
#include "promorec/testing/golden.h"

namespace promorec::sagemaker {
namespace {

using model::Feature;
using namespace sagemaker::testing;  // NOLINT: the byte builders

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kRec = "application/x-recordio-protobuf";

std::shared_ptr<const model::ServingModel> MakeModel(model::FeatureDictionary dictionary,
                                                     model::ModelType type, bool normalise,
                                                     float bias = -0.4f) {
  const auto fields = static_cast<std::uint32_t>(dictionary.fields().size());
  const model::FfmShape shape{type, dictionary.size(), fields, 4};
  auto params = model::FfmParams::Create(shape, 11, 0.6f);
  EXPECT_TRUE(params);
  params->bias() = bias;
  for (std::size_t i = 0; i < params->linear().size(); ++i) {
    params->linear()[i] = 0.05f * static_cast<float>(i % 7) - 0.1f;
  }
  return model::ServingModel::FromModelFile(model::ModelFile{std::move(*params),
                                                             std::move(dictionary),
                                                             model::Loss::kLogistic,
                                                             normalise,
                                                             std::nullopt,
                                                             {},
                                                             {},
                                                             {}});
}

// Event fields, as a model trained on clicks has them.
std::shared_ptr<const model::ServingModel> EventModel(bool normalise = false, float bias = -0.4f) {
  model::FeatureDictionary d = features::NewEventDictionary();
  for (const char* user : {"u1", "u2"}) d.Add(features::kUser, user);
  for (const char* offer : {"o1", "o2", "o9"}) d.Add(features::kOffer, offer);
  d.Add(features::kCountry, "de");
  d.Add(features::kCategory, "cat");
  d.Add(features::kProduct, "m3");
  return MakeModel(std::move(d), model::ModelType::kFfm, normalise, bias);
}

// Numeric fields, as a model trained on libffm or RecordIO data has them:
// ten features, index i in field i % 2.
std::shared_ptr<const model::ServingModel> NumericModel() {
  model::FeatureDictionary d({"field0", "field1"});
  for (std::uint32_t i = 0; i < 10; ++i) d.Add(i % 2, std::to_string(i));
  return MakeModel(std::move(d), model::ModelType::kFfm, false);
}

float Expected(const model::ServingModel& m, std::vector<model::Feature> row) {
  std::vector<model::Feature> scratch;
  return model::PredictProbability(m.params(), row, m.instance_normalisation(), &scratch);
}

// The row of named (field, value) pairs through the model's dictionary.
std::vector<model::Feature> Row(
    const model::ServingModel& m,
    std::initializer_list<std::pair<std::uint32_t, const char*>> pairs) {
  std::vector<model::Feature> row;
  for (const auto& [field, value] : pairs)
    row.push_back({field, *m.dictionary().Find(field, value)});
  return row;
}

// A SageMakerApi with the model it serves in service (none for null).
struct Served {
  explicit Served(std::shared_ptr<const model::ServingModel> m)
      : models(std::move(m)), api(models) {}
  model::ServingModelHandle models;
  SageMakerApi api;
};

std::string Instance(std::string_view user, std::string_view offer,
                     std::string_view product_key = "product") {
  return R"({"keys":["userid","offerid","countrycode","category",")" + std::string(product_key) +
         R"("],"values":[")" + std::string(user) + R"(",")" + std::string(offer) +
         R"(","de","cat","m3"]})";
}

std::string Instances(std::initializer_list<std::string> instances) {
  std::string out = R"({"instances":[)";
  for (const auto& i : instances) out += (out.back() == '[' ? "" : ",") + i;
  return out + "]}";
}

// The scores of a JSON reply; each must be a JSON number with a matching
// predicted_label.
std::vector<float> Scores(const SageMakerReply& reply) {
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, kJson);
  simdjson::dom::parser parser;
  std::vector<float> out;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(reply.body).get(doc), simdjson::SUCCESS) << reply.body;
  for (simdjson::dom::element p : doc["predictions"].get_array()) {
    EXPECT_TRUE(p["score"].is_number()) << "a number, never a string: " << reply.body;
    const double score = p["score"].get_double();
    EXPECT_EQ(p["predicted_label"].get_int64().value(), score >= 0.5 ? 1 : 0);
    out.push_back(static_cast<float>(score));
  }
  return out;
}

TEST(SageMakerApiTest, Ping) {
  const Served served_api(EventModel());
  const SageMakerApi& api = served_api.api;
  const SageMakerReply ok = api.Ping();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "");
  const Served served_empty(nullptr);
  const SageMakerApi& empty = served_empty.api;
  const SageMakerReply down = empty.Ping();
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.content_type, kJson);
  EXPECT_EQ(down.body, R"({"error":{"code":"model_not_loaded","message":"no model is loaded"}})"
                       "\n");
}

TEST(SageMakerApiTest, JsonScoresMatchPredict) {
  for (const bool normalise : {false, true}) {
    const auto m = EventModel(normalise);
    const Served served_api(m);
    const SageMakerApi& api = served_api.api;
    const auto scores =
        Scores(api.Invoke(kJson, kJson, Instances({Instance("u1", "o1"), Instance("u2", "o9")})));
    ASSERT_EQ(scores.size(), 2u);
    using features::EventField;
    for (int i = 0; i < 2; ++i) {
      const float expected = Expected(*m, Row(*m, {{EventField::kUser, i == 0 ? "u1" : "u2"},
                                                   {EventField::kOffer, i == 0 ? "o1" : "o9"},
                                                   {EventField::kCountry, "de"},
                                                   {EventField::kCategory, "cat"},
                                                   {EventField::kProduct, "m3"}}));
      EXPECT_NEAR(scores[static_cast<std::size_t>(i)], expected, 1e-6) << normalise;
    }
  }
}

TEST(SageMakerApiTest, AliasesAndUnknownValues) {
  const auto m = EventModel();
  const Served served_api(m);
  const SageMakerApi& api = served_api.api;
  const auto scores = Scores(
      api.Invoke("application/json; charset=utf-8", "*/*",
                 Instances({Instance("u1", "o1", "product"), Instance("u1", "o1", "merchant"),
                            Instance("nobody", "o1"), Instance("u1", "0"),
                            R"({"keys":["color","offer_id"],"values":["red","o1"]})"})));
  ASSERT_EQ(scores.size(), 5u);
  EXPECT_EQ(scores[0], scores[1]) << "merchant is product";
  using features::EventField;
  // An unknown user, the offer id "0" and a key naming no field contribute
  // nothing.
  EXPECT_NEAR(scores[2],
              Expected(*m, Row(*m, {{EventField::kOffer, "o1"},
                                    {EventField::kCountry, "de"},
                                    {EventField::kCategory, "cat"},
                                    {EventField::kProduct, "m3"}})),
              1e-6);
  EXPECT_NEAR(scores[3],
              Expected(*m, Row(*m, {{EventField::kUser, "u1"},
                                    {EventField::kCountry, "de"},
                                    {EventField::kCategory, "cat"},
                                    {EventField::kProduct, "m3"}})),
              1e-6);
  EXPECT_NEAR(scores[4], Expected(*m, Row(*m, {{EventField::kOffer, "o1"}})), 1e-6);
}

TEST(SageMakerApiTest, NumericInstances) {
  const auto m = NumericModel();
  const Served served_api(m);
  const SageMakerApi& api = served_api.api;
  const auto scores =
      Scores(api.Invoke(kJson, "",
                        R"({"instances":[{"features":[0,1,0,0.5]},)"
                        R"({"data":{"features":{"keys":[1,3],"values":[1,0.5],"shape":[10]}}},)"
                        R"({"data":{"features":[0,0,2]}}]})"));
  ASSERT_EQ(scores.size(), 3u);
  const float expected = Expected(*m, {{1, 1, 1.0f}, {1, 3, 0.5f}});
  EXPECT_NEAR(scores[0], expected, 1e-6);
  EXPECT_NEAR(scores[1], expected, 1e-6);
  EXPECT_NEAR(scores[2], Expected(*m, {{0, 2, 2.0f}}), 1e-6);
}

// Two records written out byte by byte, as the SageMaker SDK frames them.
// First: features["values"] = sparse {values [1, 0.5], keys [1, 3],
// shape [10]}; second: dense {values [0, 0, 2]}. No labels.
const std::string kTwoRecords = std::string(
                                    "\x0a\x23\xd7\xce"  // magic
                                    "\x1f\x00\x00\x00"  // whole record, 31 bytes
                                    "\x0a\x1d"          // Record.features, 29-byte entry
                                    "\x0a\x06values"    //   key
                                    "\x12\x13"          //   Value, 19 bytes
                                    "\x12\x11"          //   float32_tensor, 17 bytes
                                    "\x0a\x08\x00\x00\x80\x3f\x00\x00\x00\x3f"  // values
                                    "\x12\x02\x01\x03"                          // keys
                                    "\x1a\x01\x0a"                              // shape
                                    "\x00",                                     // padding
                                    40) +
                                std::string(
                                    "\x0a\x23\xd7\xce"
                                    "\x1c\x00\x00\x00"  // 28 bytes, no padding
                                    "\x0a\x1a"
                                    "\x0a\x06values"
                                    "\x12\x10\x12\x0e"
                                    "\x0a\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40",
                                    36);

// The bytes SageMaker's factorization machines answer with for one
// binary-classifier score.
std::string ScoreRecord(float score) {
  return Frame(0, Field(2, Field(1, "score") + Field(2, F32(Tensor({score}, {}, {})))) +
                      Field(2, Field(1, "predicted_label") +
                                   Field(2, F32(Tensor({score >= 0.5f ? 1.0f : 0.0f}, {}, {})))));
}

TEST(SageMakerApiTest, RecordIoRoundTrip) {
  const auto m = NumericModel();
  const Served served_api(m);
  const SageMakerApi& api = served_api.api;
  const float first = Expected(*m, {{1, 1, 1.0f}, {1, 3, 0.5f}});
  const float second = Expected(*m, {{0, 2, 2.0f}});
  const SageMakerReply reply = api.Invoke(kRec, kRec, kTwoRecords);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, kRec);
  // Scores equal to the float, so the expected bytes are exact.
  sagemaker::RecordIoFramer framer(reply.body);
  auto frame = framer.Next(0);
  ASSERT_TRUE(frame && frame->error.empty());
  const float got = sagemaker::ParseRecordIoLabelValue(frame->payload, "score").value();
  EXPECT_NEAR(got, first, 1e-6);
  auto next = framer.Next(frame->end);
  ASSERT_TRUE(next && next->error.empty());
  const float got2 = sagemaker::ParseRecordIoLabelValue(next->payload, "score").value();
  EXPECT_NEAR(got2, second, 1e-6);
  EXPECT_EQ(reply.body, ScoreRecord(got) + ScoreRecord(got2));
  // Either way round.
  const auto as_json = Scores(api.Invoke(kRec, kJson, kTwoRecords));
  ASSERT_EQ(as_json.size(), 2u);
  EXPECT_EQ(as_json[0], got);
  const SageMakerReply from_json =
      api.Invoke(kJson, kRec, R"({"instances":[{"features":[0,1,0,0.5]}]})");
  EXPECT_EQ(from_json.body, ScoreRecord(got));
  // Empty Accept answers in the request's type; an empty body is no
  // instances.
  EXPECT_EQ(api.Invoke(kRec, "", kTwoRecords).content_type, kRec);
  EXPECT_EQ(api.Invoke(kRec, "", "").body, "");
  EXPECT_EQ(api.Invoke(kJson, "", R"({"instances":[]})").body, R"({"predictions":[]})");
}

struct ErrorCase {
  std::string content_type, accept, body;
  int status;
  std::string code, message;
};

TEST(SageMakerApiTest, ErrorsSayWhat) {
  const Served served_api(EventModel());
  const SageMakerApi& api = served_api.api;
  std::string too_many = R"({"instances":[)";
  for (int i = 0; i <= 10000; ++i) too_many += i == 0 ? "{}" : ",{}";
  too_many += "]}";
  const std::string kBadKey =
      Frame(0, Field(1, Field(1, "values") + Field(2, F32(Tensor({1}, {12}, {20})))));
  const ErrorCase cases[] = {
      {"text/csv", "", "1,2", 415, "unsupported_media_type",
       "Content-Type 'text/csv' is not supported; send application/json or "
       "application/x-recordio-protobuf"},
      {"", "", "{}", 415, "unsupported_media_type",
       "Content-Type '' is not supported; send application/json or "
       "application/x-recordio-protobuf"},
      {"application/json", "text/csv", "{}", 415, "unsupported_media_type",
       "Accept 'text/csv' is not supported; ask for application/json or "
       "application/x-recordio-protobuf"},
      {"application/json", "", "{", 400, "invalid_request",
       "body is not valid JSON: The JSON document has an improper structure: missing or "
       "superfluous commas, braces, missing keys, etc."},
      {"application/json", "", R"({"rows":[]})", 400, "invalid_request",
       R"(body is not a JSON object with an "instances" array)"},
      {"application/json", "", Instances({Instance("u1", "o1"), R"({"keys":["a"],"values":[]})"}),
       400, "invalid_request", "instance 1: 1 keys but 0 values"},
      {"application/json", "", R"({"instances":[{"keys":["category"],"values":[100020213]}]})", 400,
       "invalid_request", "instance 0: values[0] (category) is not a string"},
      {"application/json", "", R"({"instances":[{"features":[1,"x"]}]})", 400, "invalid_request",
       "instance 0: features[1] is not a number"},
      {"application/json", "", R"({"instances":[{"features":[1e300]}]})", 400, "invalid_request",
       "instance 0: features[0] 1e+300 does not fit a 32-bit float"},
      {"application/json", "", R"({"instances":[{}]})", 400, "invalid_request",
       "instance 0: has none of keys/values, features or data"},
      {"application/json", "", too_many, 400, "invalid_request",
       "more than 10000 instances in one request"},
      {"application/x-recordio-protobuf", "", Frame(0, "\xff\xff"), 400, "invalid_request",
       "instance 0 (byte 0): protobuf payload does not parse"},
      {"application/x-recordio-protobuf", "", kTwoRecords + "junkjunk", 400, "invalid_request",
       "instance 2 (byte 76): bad magic 0x6b6e756a; skipped 8 bytes"},
      {"application/x-recordio-protobuf", "", kBadKey, 424, "model_error",
       "instance 0: feature index 12 is beyond the model's 8 features"},
      {"application/json", "", R"({"instances":[{"features":[0,0,0,0,0,0,0,0,1]}]})", 424,
       "model_error", "instance 0: feature index 8 is beyond the model's 8 features"},
      {"application/json", "", std::string(kSageMakerMaxBodyBytes + 1, ' '), 413, "body_too_large",
       "body of 6000001 bytes is above the limit of 6000000"},
  };
  for (const ErrorCase& c : cases) {
    const SageMakerReply reply = api.Invoke(c.content_type, c.accept, c.body);
    EXPECT_EQ(reply.status, c.status) << c.message;
    EXPECT_EQ(reply.content_type, kJson);
    const std::string expected = base::ErrorJson(c.code, c.message);
    EXPECT_EQ(reply.body, expected);
    ASSERT_EQ(reply.headers.size(), 1u);
    EXPECT_EQ(reply.headers[0].first, "x-amzn-ErrorType");
    EXPECT_EQ(reply.headers[0].second, c.status == 424 ? "ModelError" : "ValidationError");
  }
  const SageMakerReply down = Served(nullptr).api.Invoke(kJson, kJson, Instances({}));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.headers.at(0).second, "ServiceUnavailable");
}

// The model in service is read at each call: a swap shows in the next one.
TEST(SageMakerApiTest, AModelSwappedInScoresTheNextInvocation) {
  Served served(EventModel(false));
  const std::string body = Instances({Instance("u1", "o1")});
  const float before = Scores(served.api.Invoke(kJson, kJson, body)).at(0);
  const auto swapped = EventModel(false, 2.5f);
  served.models.Set(swapped);
  const float after = Scores(served.api.Invoke(kJson, kJson, body)).at(0);
  EXPECT_GT(after, before);
  EXPECT_NEAR(after,
              Expected(*swapped, Row(*swapped, {{features::kUser, "u1"},
                                                {features::kOffer, "o1"},
                                                {features::kCountry, "de"},
                                                {features::kCategory, "cat"},
                                                {features::kProduct, "m3"}})),
              1e-6);
  served.models.Set(nullptr);
  EXPECT_EQ(served.api.Invoke(kJson, kJson, body).status, 503);
  EXPECT_EQ(served.api.Ping().status, 503);
}

TEST(SageMakerApiTest, ScoringFailureIsAModelError) {
  const SageMakerReply reply = Served(EventModel(false, std::numeric_limits<float>::quiet_NaN()))
                                   .api.Invoke(kJson, kJson, Instances({Instance("u1", "o1")}));
  EXPECT_EQ(reply.status, 424);
  EXPECT_EQ(reply.body,
            base::ErrorJson("model_error", "instance 0: the model gave a non-finite score"));
  ASSERT_EQ(reply.headers.size(), 1u);
  EXPECT_EQ(reply.headers[0],
            (std::pair<std::string, std::string>("x-amzn-ErrorType", "ModelError")));
}

TEST(SageMakerApiTest, ConcurrentInvocations) {
  const Served served_api(EventModel(true));
  const SageMakerApi& api = served_api.api;
  const std::string body = Instances({Instance("u1", "o1"), Instance("u2", "o2", "merchant")});
  const std::string expected = api.Invoke(kJson, kJson, body).body;
  const std::string expected_rec = api.Invoke(kJson, kRec, body).body;
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const bool rec = (i + t) % 2 == 0;
        const SageMakerReply reply = api.Invoke(kJson, rec ? kRec : kJson, body);
        if (reply.status != 200 || reply.body != (rec ? expected_rec : expected)) ++mismatches;
        if (api.Ping().status != 200) ++mismatches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// Every body under tests/corpus/sagemaker/ (NAME.json sent as
// application/json, NAME.rec as application/x-recordio-protobuf, to the
// event model above, answers asked for as JSON) gives exactly the status and
// body in NAME.json.expected or NAME.rec.expected. PROMOREC_UPDATE_GOLDEN=1 rewrites them.
TEST(SageMakerApiTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const Served served_api(EventModel());
  const SageMakerApi& api = served_api.api;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/sagemaker";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".json" && ext != ".rec") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    const SageMakerReply reply = api.Invoke(ext == ".json" ? kJson : kRec, kJson, body.str());
    // Scores differ in the last bits between kernels; a good body is
    // pinned by its number of predictions.
    const std::string actual =
        std::to_string(reply.status) + "\n" +
        (reply.status == 200 ? std::to_string(Scores(reply).size()) + " predictions\n"
                             : reply.body);
    const fs::path expected_path = entry.path().string() + ".expected";
    promorec::testing::ExpectGolden(expected_path, actual, entry.path());
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace promorec::sagemaker
