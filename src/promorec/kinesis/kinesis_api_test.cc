// The Kinesis API's stream operations, dispatch and request validation.
// Records, iterators and the throughput limit: kinesis_records_test.cc.
#include "promorec/kinesis/kinesis_api.h"

#include <gtest/gtest.h>

#include "promorec/eventlog/hash_key.h"
#include "promorec/kinesis/kinesis_test_util.h"

namespace promorec::kinesis {
namespace {

using testing::Int;
using testing::Json;
using testing::Num;
using testing::Str;

class KinesisApiTest : public testing::KinesisFixture {};

TEST_F(KinesisApiTest, CreateStreamAnswersWithAnEmptyBody) {
  const auto reply = Call("CreateStream", R"({"StreamName":"clicks","ShardCount":3})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
  EXPECT_EQ(reply.content_type, "application/x-amz-json-1.1");
  auto stream = store_->OpenStream("clicks");
  ASSERT_TRUE(stream);
  EXPECT_EQ((*stream)->options().shard_count, 3u);
}

TEST_F(KinesisApiTest, DescribeStreamHasAwsShape) {
  CreateStream("clicks", 3);
  const Json json = CallOk("DescribeStream", R"({"StreamName":"clicks"})");
  const auto d = json["StreamDescription"];
  EXPECT_EQ(Str(d["StreamName"]), "clicks");
  EXPECT_EQ(Str(d["StreamARN"]), "arn:aws:kinesis:us-east-1:000000000000:stream/clicks");
  EXPECT_EQ(Str(d["StreamStatus"]), "ACTIVE");
  EXPECT_EQ(Str(d["StreamModeDetails"]["StreamMode"]), "PROVISIONED");
  EXPECT_EQ(d["HasMoreShards"].get_bool().value(), false);
  EXPECT_EQ(Int(d["RetentionPeriodHours"]), 24);
  EXPECT_DOUBLE_EQ(Num(d["StreamCreationTimestamp"]), 1'700'000'000.123);
  const auto shards = d["Shards"].get_array().value();
  ASSERT_EQ(shards.size(), 3u);
  std::uint32_t i = 0;
  for (const auto shard : shards) {
    EXPECT_EQ(Str(shard["ShardId"]), "shardId-00000000000" + std::to_string(i));
    EXPECT_EQ(Str(shard["HashKeyRange"]["StartingHashKey"]),
              eventlog::HashKeyToDecimal(eventlog::StartingHashKey(i, 3)));
    EXPECT_EQ(Str(shard["HashKeyRange"]["EndingHashKey"]),
              eventlog::HashKeyToDecimal(eventlog::EndingHashKey(i, 3)));
    EXPECT_EQ(Str(shard["SequenceNumberRange"]["StartingSequenceNumber"]), "1");
    ++i;
  }
  EXPECT_EQ(Str(shards.at(0)["HashKeyRange"]["StartingHashKey"]), "0");
  EXPECT_EQ(Str(shards.at(2)["HashKeyRange"]["EndingHashKey"]),
            "340282366920938463463374607431768211455");
}

TEST_F(KinesisApiTest, DescribeStreamPagesShards) {
  CreateStream("clicks", 5);
  const Json first = CallOk("DescribeStream", R"({"StreamName":"clicks","Limit":2})");
  EXPECT_EQ(first["StreamDescription"]["Shards"].get_array().size(), 2u);
  EXPECT_TRUE(first["StreamDescription"]["HasMoreShards"].get_bool().value());
  const Json rest = CallOk(
      "DescribeStream",
      R"({"StreamName":"clicks","ExclusiveStartShardId":"shardId-000000000001","Limit":10})");
  const auto shards = rest["StreamDescription"]["Shards"].get_array().value();
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(Str(shards.at(0)["ShardId"]), "shardId-000000000002");
  EXPECT_FALSE(rest["StreamDescription"]["HasMoreShards"].get_bool().value());
}

TEST_F(KinesisApiTest, DescribeStreamSummaryHasAwsShape) {
  CreateStream("clicks", 2);
  const Json json = CallOk("DescribeStreamSummary", R"({"StreamName":"clicks"})");
  const auto s = json["StreamDescriptionSummary"];
  EXPECT_EQ(Str(s["StreamName"]), "clicks");
  EXPECT_EQ(Str(s["StreamARN"]), "arn:aws:kinesis:us-east-1:000000000000:stream/clicks");
  EXPECT_EQ(Str(s["StreamStatus"]), "ACTIVE");
  EXPECT_EQ(Int(s["RetentionPeriodHours"]), 24);
  EXPECT_EQ(Int(s["OpenShardCount"]), 2);
  EXPECT_EQ(Int(s["ConsumerCount"]), 0);
  EXPECT_DOUBLE_EQ(Num(s["StreamCreationTimestamp"]), 1'700'000'000.123);
  EXPECT_EQ(Str(s["EncryptionType"]), "NONE");
}

TEST_F(KinesisApiTest, OnDemandStreamsGetTheDefaultShardCount) {
  KinesisOptions options;
  options.on_demand_shard_count = 6;
  Reset(options);
  CallOk("CreateStream", R"({"StreamName":"od","StreamModeDetails":{"StreamMode":"ON_DEMAND"}})");
  auto stream = store_->OpenStream("od");
  ASSERT_TRUE(stream);
  EXPECT_EQ((*stream)->options().shard_count, 6u);
  EXPECT_EQ(ErrorType("CreateStream", R"({"StreamName":"p"})"), "ValidationException");
  EXPECT_EQ(
      ErrorType("CreateStream", R"({"StreamName":"p","StreamModeDetails":{"StreamMode":"FAST"}})"),
      "ValidationException");
}

TEST_F(KinesisApiTest, CreatingAnExistingStreamIsResourceInUse) {
  CreateStream("clicks", 1);
  const auto [type, message] =
      Error(Call("CreateStream", R"({"StreamName":"clicks","ShardCount":1})"));
  EXPECT_EQ(type, "ResourceInUseException");
  EXPECT_EQ(message, "Stream clicks under account 000000000000 already exists.");
}

TEST_F(KinesisApiTest, ShardCountLimits) {
  KinesisOptions options;
  options.max_shard_count = 8;
  Reset(options);
  EXPECT_EQ(ErrorType("CreateStream", R"({"StreamName":"a","ShardCount":0})"),
            "ValidationException");
  EXPECT_EQ(ErrorType("CreateStream", R"({"StreamName":"a","ShardCount":9})"),
            "LimitExceededException");
  EXPECT_EQ(ErrorType("CreateStream", R"({"StreamName":"a","ShardCount":2.5})"),
            "ValidationException");
  CallOk("CreateStream", R"({"StreamName":"a","ShardCount":8})");
}

TEST_F(KinesisApiTest, ListStreamsPagesWithSummaries) {
  for (const char* name : {"b", "a", "c"}) CreateStream(name, 1);
  const Json all = CallOk("ListStreams", "{}");
  const auto names = all["StreamNames"].get_array().value();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(Str(names.at(0)), "a");
  EXPECT_EQ(Str(names.at(2)), "c");
  EXPECT_FALSE(all["HasMoreStreams"].get_bool().value());
  const auto summaries = all["StreamSummaries"].get_array().value();
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_EQ(Str(summaries.at(1)["StreamARN"]), "arn:aws:kinesis:us-east-1:000000000000:stream/b");
  EXPECT_EQ(Str(summaries.at(1)["StreamStatus"]), "ACTIVE");
  Num(summaries.at(1)["StreamCreationTimestamp"]);

  const Json first = CallOk("ListStreams", R"({"Limit":2})");
  EXPECT_EQ(first["StreamNames"].get_array().size(), 2u);
  EXPECT_TRUE(first["HasMoreStreams"].get_bool().value());
  const std::string token = Str(first["NextToken"]);
  const Json next = CallOk("ListStreams", R"({"NextToken":")" + token + R"("})");
  ASSERT_EQ(next["StreamNames"].get_array().size(), 1u);
  EXPECT_EQ(Str(next["StreamNames"].get_array().at(0)), "c");
  const Json after = CallOk("ListStreams", R"({"ExclusiveStartStreamName":"a"})");
  EXPECT_EQ(after["StreamNames"].get_array().size(), 2u);
  EXPECT_EQ(ErrorType("ListStreams", R"({"Limit":0})"), "ValidationException");
  EXPECT_EQ(ErrorType("ListStreams", R"({"NextToken":"bm9wZQ=="})"), "InvalidArgumentException");
}

TEST_F(KinesisApiTest, ListShardsPagesWithNextToken) {
  CreateStream("clicks", 3);
  const Json first = CallOk("ListShards", R"({"StreamName":"clicks","MaxResults":2})");
  const auto shards = first["Shards"].get_array().value();
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(Str(shards.at(1)["ShardId"]), "shardId-000000000001");
  Str(shards.at(1)["HashKeyRange"]["EndingHashKey"]);
  const std::string token = Str(first["NextToken"]);
  const Json rest = CallOk("ListShards", R"({"NextToken":")" + token + R"("})");
  ASSERT_EQ(rest["Shards"].get_array().size(), 1u);
  EXPECT_EQ(Str(rest["Shards"].get_array().at(0)["ShardId"]), "shardId-000000000002");
  EXPECT_TRUE(rest.root["NextToken"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(ErrorType("ListShards", R"({"StreamName":"clicks","NextToken":")" + token + R"("})"),
            "InvalidArgumentException");
  const Json all = CallOk("ListShards", R"({"StreamName":"clicks"})");
  EXPECT_EQ(all["Shards"].get_array().size(), 3u);
}

TEST_F(KinesisApiTest, StreamArnNamesTheStream) {
  CreateStream("clicks", 1);
  const Json json =
      CallOk("DescribeStreamSummary",
             R"({"StreamARN":"arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"})");
  EXPECT_EQ(Str(json["StreamDescriptionSummary"]["StreamName"]), "clicks");
  EXPECT_EQ(ErrorType("DescribeStreamSummary", R"({"StreamARN":"clicks"})"), "ValidationException");
}

TEST_F(KinesisApiTest, DeleteStreamRemovesIt) {
  CreateStream("clicks", 1);
  const auto reply = Call("DeleteStream", R"({"StreamName":"clicks"})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
  const auto [type, message] = Error(Call("DescribeStream", R"({"StreamName":"clicks"})"));
  EXPECT_EQ(type, "ResourceNotFoundException");
  EXPECT_EQ(message, "Stream clicks under account 000000000000 not found.");
  EXPECT_EQ(ErrorType("DeleteStream", R"({"StreamName":"clicks"})"), "ResourceNotFoundException");
}

TEST_F(KinesisApiTest, RetentionChangesTheStoresSetting) {
  CreateStream("clicks", 1);
  auto stream = *store_->OpenStream("clicks");
  CallOk("IncreaseStreamRetentionPeriod", R"({"StreamName":"clicks","RetentionPeriodHours":72})");
  EXPECT_EQ(stream->options().retention_us, 72 * eventlog::kHourMicros);
  const Json json = CallOk("DescribeStreamSummary", R"({"StreamName":"clicks"})");
  EXPECT_EQ(Int(json["StreamDescriptionSummary"]["RetentionPeriodHours"]), 72);
  CallOk("DecreaseStreamRetentionPeriod", R"({"StreamName":"clicks","RetentionPeriodHours":48})");
  EXPECT_EQ(stream->options().retention_us, 48 * eventlog::kHourMicros);

  auto [type, message] = Error(Call("IncreaseStreamRetentionPeriod",
                                    R"({"StreamName":"clicks","RetentionPeriodHours":24})"));
  EXPECT_EQ(type, "InvalidArgumentException");
  EXPECT_EQ(message,
            "Requested retention period (24 hours) for stream clicks can not be shorter than "
            "existing retention period (48 hours). Use DecreaseStreamRetentionPeriod API.");
  EXPECT_EQ(ErrorType("DecreaseStreamRetentionPeriod",
                      R"({"StreamName":"clicks","RetentionPeriodHours":100})"),
            "InvalidArgumentException");
  std::tie(type, message) = Error(Call("DecreaseStreamRetentionPeriod",
                                       R"({"StreamName":"clicks","RetentionPeriodHours":23})"));
  EXPECT_EQ(message,
            "Minimum allowed retention period is 24 hours. Requested retention period (23 hours) "
            "is too short.");
  EXPECT_EQ(ErrorType("IncreaseStreamRetentionPeriod",
                      R"({"StreamName":"clicks","RetentionPeriodHours":8761})"),
            "InvalidArgumentException");
  EXPECT_EQ(ErrorType("IncreaseStreamRetentionPeriod", R"({"StreamName":"clicks"})"),
            "ValidationException");
  EXPECT_EQ(ErrorType("IncreaseStreamRetentionPeriod",
                      R"({"StreamName":"nope","RetentionPeriodHours":48})"),
            "ResourceNotFoundException");
}

TEST_F(KinesisApiTest, UnknownTargetsAreUnknownOperations) {
  for (const std::string target :
       {"Kinesis_20131202.SplitShard", "Kinesis_20131202.", "DynamoDB_20120810.PutItem", ""}) {
    const auto [type, message] = Error(api_->Handle(target, "{}"));
    EXPECT_EQ(type, "UnknownOperationException") << target;
    EXPECT_TRUE(message.starts_with("Operation '" + target + "' is not supported")) << message;
  }
}

TEST_F(KinesisApiTest, MalformedRequestsAreValidationErrors) {
  EXPECT_EQ(Error(Call("DescribeStream", "{\"StreamName\":")).second,
            "Request body is not valid JSON");
  EXPECT_EQ(Error(Call("DescribeStream", "[1,2]")).second, "Request body must be a JSON object");
  EXPECT_EQ(Error(Call("DescribeStream", "{\"StreamName\":\"\xff\"}")).second,
            "Request body is not valid UTF-8");
  EXPECT_EQ(Error(Call("DescribeStream", "")).second,
            "1 validation error detected: Value null at 'StreamName' failed to satisfy "
            "constraint: Member must not be null");
  EXPECT_EQ(Error(Call("DescribeStream", R"({"StreamName":7})")).second,
            "Member 'StreamName' must be a string, got a number");
  EXPECT_EQ(Error(Call("DescribeStream", R"({"StreamName":"a b"})")).second,
            "1 validation error detected: Value 'a b' at 'StreamName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  EXPECT_EQ(ErrorType("DescribeStream", R"({"StreamName":")" + std::string(129, 'a') + "\"}"),
            "ValidationException");
  EXPECT_EQ(ErrorType("DescribeStream", R"({"StreamName":""})"), "ValidationException");
  EXPECT_EQ(ErrorType("DescribeStream", R"({"StreamName":".hidden"})"), "InvalidArgumentException");
  EXPECT_EQ(ErrorType("CreateStream", R"({"StreamName":"a","ShardCount":"2"})"),
            "ValidationException");
  EXPECT_EQ(ErrorType("ListShards", R"({"StreamName":"a","MaxResults":10001})"),
            "ValidationException");
  // Null counts as absent; unknown members are ignored.
  CreateStream("clicks", 1);
  CallOk("DescribeStream", R"({"StreamName":"clicks","Limit":null,"Extra":[1]})");
}

}  // namespace
}  // namespace promorec::kinesis
