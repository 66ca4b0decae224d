// Test-only: a KinesisApi on a LocalStreamStore in the in-memory Env with a
// FakeClock, and helpers that call operations and parse their replies.
// Thread-safety: a fixture is used by one test thread (Call may be used
// from several).
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "promorec/base/base64.h"
#include "promorec/base/clock.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/kinesis/kinesis_api.h"

namespace promorec::kinesis::testing {

inline constexpr std::int64_t kStartMicros = 1'700'000'000'123'000;

// A PutRecord body, and one entry of a PutRecords body.
inline std::string PutBody(std::string_view stream, std::string_view key, std::string_view data) {
  return R"({"StreamName":")" + std::string(stream) + R"(","PartitionKey":")" + std::string(key) +
         R"(","Data":")" + base::Base64Encode(data) + "\"}";
}

inline std::string RecordJson(std::string_view key, std::string_view data) {
  return R"({"PartitionKey":")" + std::string(key) + R"(","Data":")" + base::Base64Encode(data) +
         "\"}";
}

// A parsed reply that owns its parser.
struct Json {
  std::unique_ptr<simdjson::dom::parser> parser = std::make_unique<simdjson::dom::parser>();
  simdjson::dom::element root;

  simdjson::dom::element operator[](std::string_view key) const { return root[key].value(); }
};

class KinesisFixture : public ::testing::Test {
 protected:
  KinesisFixture() : env_(base::NewMemEnv()), clock_(kStartMicros) {
    auto store = eventlog::LocalStreamStore::Open(*env_, clock_, "/data/streams");
    EXPECT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    Reset();
  }

  void Reset(KinesisOptions options = {}) {
    options.stream_defaults.durability = eventlog::Durability::kNone;
    api_ = std::make_unique<KinesisApi>(*store_, clock_, std::move(options));
  }

  KinesisReply Call(std::string_view operation, std::string_view body) const {
    return api_->Handle(std::string(kKinesisTargetPrefix) + std::string(operation), body);
  }

  // The reply of a call that must succeed, parsed (an empty body, as
  // operations without output send, as {}).
  static Json Ok(const KinesisReply& reply) {
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.content_type, "application/x-amz-json-1.1");
    Json json;
    const std::string body = reply.body.empty() ? std::string("{}") : reply.body;
    const auto error = json.parser->parse(body).get(json.root);
    EXPECT_EQ(error, simdjson::SUCCESS) << reply.body;
    return json;
  }
  Json CallOk(std::string_view operation, std::string_view body) const {
    return Ok(Call(operation, body));
  }

  // {__type, message} of a call that must fail with `status`.
  static std::pair<std::string, std::string> Error(const KinesisReply& reply, int status = 400) {
    EXPECT_EQ(reply.status, status) << reply.body;
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(reply.body).get(root) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << reply.body;
      return {};
    }
    std::string_view type;
    std::string_view message;
    EXPECT_EQ(root["__type"].get(type), simdjson::SUCCESS) << reply.body;
    EXPECT_EQ(root["message"].get(message), simdjson::SUCCESS) << reply.body;
    return {std::string(type), std::string(message)};
  }
  std::string ErrorType(std::string_view operation, std::string_view body) const {
    return Error(Call(operation, body)).first;
  }

  void CreateStream(std::string_view name, int shards) const {
    const auto reply =
        Call("CreateStream", R"({"StreamName":")" + std::string(name) + R"(","ShardCount":)" +
                                 std::to_string(shards) + "}");
    ASSERT_EQ(reply.status, 200) << reply.body;
  }

  std::unique_ptr<base::Env> env_;
  base::FakeClock clock_;
  std::unique_ptr<eventlog::LocalStreamStore> store_;
  std::unique_ptr<KinesisApi> api_;
};

inline std::string Str(simdjson::dom::element value) {
  std::string_view text;
  EXPECT_EQ(value.get(text), simdjson::SUCCESS) << "not a string";
  return std::string(text);
}

inline double Num(simdjson::dom::element value) {
  double number = 0;
  EXPECT_EQ(value.get(number), simdjson::SUCCESS) << "not a number";
  return number;
}

inline std::int64_t Int(simdjson::dom::element value) {
  std::int64_t number = 0;
  EXPECT_EQ(value.get(number), simdjson::SUCCESS) << "not a whole number";
  return number;
}

}  // namespace promorec::kinesis::testing
