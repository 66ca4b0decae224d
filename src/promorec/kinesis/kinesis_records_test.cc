// The Kinesis API's record operations: PutRecord(s), GetShardIterator,
// GetRecords, iterator signing and expiry, the throughput limit and the
// record hook (click events in records: kinesis_clicks_test.cc).
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "promorec/base/base64.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/kinesis/kinesis_api.h"
#include "promorec/kinesis/kinesis_test_util.h"

namespace promorec::kinesis {
namespace {

using testing::Int;
using testing::Json;
using testing::Num;
using testing::PutBody;
using testing::RecordJson;
using testing::Str;

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

class KinesisRecordsTest : public testing::KinesisFixture {
 protected:
  std::string Iterator(std::string_view shard_id, std::string_view type_and_more) const {
    const Json json = CallOk("GetShardIterator",
                             R"({"StreamName":"clicks","ShardId":")" + std::string(shard_id) +
                                 R"(","ShardIteratorType":)" + std::string(type_and_more) + "}");
    return Str(json["ShardIterator"]);
  }

  Json Get(std::string_view iterator, int limit = 0) const {
    std::string body = R"({"ShardIterator":")" + std::string(iterator) + "\"";
    if (limit > 0) body += ",\"Limit\":" + std::to_string(limit);
    return CallOk("GetRecords", body + "}");
  }
};

TEST_F(KinesisRecordsTest, PutAndGetRoundTripEveryByteValue) {
  CreateStream("clicks", 1);
  const std::string data = AllBytes();
  const Json put = CallOk("PutRecord", PutBody("clicks", "user-1", data));
  EXPECT_EQ(Str(put["ShardId"]), "shardId-000000000000");
  const std::string sequence = Str(put["SequenceNumber"]);
  EXPECT_EQ(sequence, "1");
  EXPECT_EQ(Str(put["EncryptionType"]), "NONE");

  const Json got = Get(Iterator("shardId-000000000000", R"("TRIM_HORIZON")"));
  const auto records = got["Records"].get_array().value();
  ASSERT_EQ(records.size(), 1u);
  const auto record = records.at(0).value();
  EXPECT_EQ(Str(record["SequenceNumber"]), sequence);
  EXPECT_EQ(Str(record["PartitionKey"]), "user-1");
  EXPECT_DOUBLE_EQ(Num(record["ApproximateArrivalTimestamp"]), 1'700'000'000.123);
  EXPECT_EQ(*base::Base64Decode(Str(record["Data"])), data);
  EXPECT_EQ(Int(got["MillisBehindLatest"]), 0);
  EXPECT_FALSE(Str(got["NextShardIterator"]).empty());
}

TEST_F(KinesisRecordsTest, EmptyDataIsARecord) {
  CreateStream("clicks", 1);
  CallOk("PutRecord", PutBody("clicks", "k", ""));
  const Json got = Get(Iterator("shardId-000000000000", R"("TRIM_HORIZON")"));
  EXPECT_EQ(Str(got["Records"].get_array().at(0)["Data"]), "");
}

TEST_F(KinesisRecordsTest, PartitionKeysLandWhereTheStoreRoutesThem) {
  CreateStream("clicks", 4);
  std::string body = R"({"StreamName":"clicks","Records":[)";
  for (int i = 0; i < 100; ++i) {
    if (i > 0) body += ",";
    body += RecordJson("user-" + std::to_string(i), "d" + std::to_string(i));
  }
  const Json json = CallOk("PutRecords", body + "]}");
  EXPECT_EQ(Int(json["FailedRecordCount"]), 0);
  auto stream = *store_->OpenStream("clicks");
  int i = 0;
  std::set<std::string> shards_used;
  for (const auto result : json["Records"].get_array()) {
    const std::string key = "user-" + std::to_string(i);
    const std::uint32_t shard = eventlog::ShardForHashKey(eventlog::PartitionKeyHash(key), 4);
    EXPECT_EQ(Str(result["ShardId"]), "shardId-00000000000" + std::to_string(shard)) << key;
    shards_used.insert(Str(result["ShardId"]));
    const auto sequence = std::stoull(Str(result["SequenceNumber"]));
    auto batch = stream->Read(shard, sequence, {1, 1 << 20});
    ASSERT_TRUE(batch);
    ASSERT_EQ(batch->records.size(), 1u);
    EXPECT_EQ(batch->records[0].sequence, sequence);
    EXPECT_EQ(batch->records[0].partition_key, key);
    EXPECT_EQ(batch->records[0].data, "d" + std::to_string(i));
    ++i;
  }
  EXPECT_EQ(i, 100);
  EXPECT_EQ(shards_used.size(), 4u);
}

TEST_F(KinesisRecordsTest, ExplicitHashKeyPicksTheShard) {
  CreateStream("clicks", 4);
  const std::string key = eventlog::HashKeyToDecimal(eventlog::EndingHashKey(2, 4));
  const Json json = CallOk(
      "PutRecord",
      R"({"StreamName":"clicks","PartitionKey":"x","Data":"","ExplicitHashKey":")" + key + "\"}");
  EXPECT_EQ(Str(json["ShardId"]), "shardId-000000000002");
  EXPECT_EQ(
      ErrorType("PutRecord",
                R"({"StreamName":"clicks","PartitionKey":"x","Data":"","ExplicitHashKey":"01"})"),
      "ValidationException");
  EXPECT_EQ(
      ErrorType("PutRecord", R"({"StreamName":"clicks","PartitionKey":"x","Data":"",)"
                             R"("ExplicitHashKey":"340282366920938463463374607431768211456"})"),
      "InvalidArgumentException");
}

TEST_F(KinesisRecordsTest, OneBadRecordFailsAlone) {
  CreateStream("clicks", 2);
  const std::string body = R"({"StreamName":"clicks","Records":[)" + RecordJson("a", "one") + "," +
                           R"({"PartitionKey":"b","Data":"not base64!"})" + "," +
                           RecordJson("c", "three") + "," + RecordJson("d", "four") + "]}";
  const Json json = CallOk("PutRecords", body);
  EXPECT_EQ(Int(json["FailedRecordCount"]), 1);
  const auto results = json["Records"].get_array().value();
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(Str(results.at(1)["ErrorCode"]), "ValidationException");
  EXPECT_EQ(Str(results.at(1)["ErrorMessage"]),
            "Member 'Records.1.Data' is not valid base64: base64 text of 11 characters is not a "
            "multiple of 4 long");
  EXPECT_TRUE(results.at(1)["SequenceNumber"].error() == simdjson::NO_SUCH_FIELD);
  std::multiset<std::string> stored;
  for (const std::string shard : {"shardId-000000000000", "shardId-000000000001"}) {
    const Json got = Get(Iterator(shard, R"("TRIM_HORIZON")"));
    for (const auto r : got["Records"].get_array()) {
      stored.insert(*base::Base64Decode(Str(r["Data"])));
    }
  }
  EXPECT_EQ(stored, (std::multiset<std::string>{"one", "three", "four"}));
  for (int i : {0, 2, 3}) {
    Str(results.at(static_cast<std::size_t>(i))["SequenceNumber"]);
    Str(results.at(static_cast<std::size_t>(i))["ShardId"]);
  }
}

TEST_F(KinesisRecordsTest, EachKindOfBadRecordIsReportedInPlace) {
  CreateStream("clicks", 1);
  const std::string body =
      R"({"StreamName":"clicks","Records":[7,{"Data":""},{"PartitionKey":"","Data":""},)"
      R"({"PartitionKey":")" +
      std::string(257, 'k') + R"(","Data":""},{"PartitionKey":"k","Data":"Zh=="},)" +
      RecordJson("ok", "fine") + "]}";
  const Json json = CallOk("PutRecords", body);
  EXPECT_EQ(Int(json["FailedRecordCount"]), 5);
  const auto results = json["Records"].get_array().value();
  EXPECT_EQ(Str(results.at(0)["ErrorMessage"]), "Member 'Records.0' must be an object");
  EXPECT_EQ(Str(results.at(1)["ErrorMessage"]),
            "1 validation error detected: Value null at 'Records.1.PartitionKey' failed to "
            "satisfy constraint: Member must not be null");
  EXPECT_EQ(Str(results.at(2)["ErrorCode"]), "ValidationException");
  EXPECT_EQ(Str(results.at(3)["ErrorCode"]), "ValidationException");
  EXPECT_EQ(Str(results.at(4)["ErrorCode"]), "ValidationException");
  EXPECT_EQ(Str(results.at(5)["SequenceNumber"]), "1");
}

TEST_F(KinesisRecordsTest, SizeAndCountLimits) {
  CreateStream("clicks", 1);
  const std::string mib(1 << 20, 'x');
  CallOk("PutRecord", PutBody("clicks", "k", mib));
  EXPECT_EQ(Error(Call("PutRecord", PutBody("clicks", "k", mib + "y"))).second,
            "1 validation error detected: Value of 1048577 bytes at 'Data' failed to satisfy "
            "constraint: Member must have length less than or equal to 1048576");
  std::string six_mib = R"({"StreamName":"clicks","Records":[)";
  for (int i = 0; i < 6; ++i) six_mib += (i ? "," : "") + RecordJson("k", mib);
  EXPECT_EQ(Error(Call("PutRecords", six_mib + "]}")).second,
            "Records hold 6291462 bytes of data and partition keys, above the limit of 5242880 "
            "bytes per request");
  std::string many = R"({"StreamName":"clicks","Records":[)";
  for (int i = 0; i < 501; ++i) many += (i ? "," : "") + RecordJson("k", "");
  EXPECT_EQ(ErrorType("PutRecords", many + "]}"), "ValidationException");
  EXPECT_EQ(ErrorType("PutRecords", R"({"StreamName":"clicks","Records":[]})"),
            "ValidationException");
  EXPECT_EQ(ErrorType("PutRecords", R"({"StreamName":"clicks"})"), "ValidationException");
  EXPECT_EQ(ErrorType("PutRecord", PutBody("clicks", std::string(257, 'k'), "")),
            "ValidationException");
  EXPECT_EQ(ErrorType("PutRecords", R"({"StreamName":"none","Records":[{"PartitionKey":"k",)"
                                    R"("Data":""}]})"),
            "ResourceNotFoundException");
}

TEST_F(KinesisRecordsTest, GetRecordsPagesWithLimitAndNextShardIterator) {
  CreateStream("clicks", 1);
  for (int i = 0; i < 25; ++i) {
    CallOk("PutRecord", PutBody("clicks", "k", "r" + std::to_string(i)));
    clock_.Advance(std::chrono::milliseconds(10));
  }
  std::string iterator = Iterator("shardId-000000000000", R"("TRIM_HORIZON")");
  std::vector<std::string> seen;
  std::vector<std::int64_t> behind;
  std::uint64_t last_sequence = 0;
  for (int page = 0; page < 4; ++page) {
    const Json got = Get(iterator, 10);
    const auto records = got["Records"].get_array().value();
    EXPECT_EQ(records.size(), page < 2 ? 10u : page == 2 ? 5u : 0u);
    for (const auto r : records) {
      const std::uint64_t sequence = std::stoull(Str(r["SequenceNumber"]));
      EXPECT_GT(sequence, last_sequence);
      last_sequence = sequence;
      seen.push_back(*base::Base64Decode(Str(r["Data"])));
    }
    behind.push_back(Int(got["MillisBehindLatest"]));
    iterator = Str(got["NextShardIterator"]);
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "r0");
  EXPECT_EQ(seen.back(), "r24");
  EXPECT_EQ(behind, (std::vector<std::int64_t>{150, 50, 0, 0}));
  CallOk("PutRecord", PutBody("clicks", "k", "late"));
  const Json got = Get(iterator);
  ASSERT_EQ(got["Records"].get_array().size(), 1u);
  EXPECT_EQ(ErrorType("GetRecords", R"({"ShardIterator":")" + iterator + R"(","Limit":0})"),
            "ValidationException");
  EXPECT_EQ(ErrorType("GetRecords", R"({"ShardIterator":")" + iterator + R"(","Limit":10001})"),
            "ValidationException");
}

TEST_F(KinesisRecordsTest, IteratorTypes) {
  CreateStream("clicks", 1);
  for (int i = 0; i < 3; ++i) {
    CallOk("PutRecord", PutBody("clicks", "k", "old" + std::to_string(i)));
    clock_.Advance(std::chrono::seconds(10));
  }
  const std::string latest = Iterator("shardId-000000000000", R"("LATEST")");
  const std::string at =
      Iterator("shardId-000000000000", R"("AT_SEQUENCE_NUMBER","StartingSequenceNumber":"2")");
  const std::string after =
      Iterator("shardId-000000000000", R"("AFTER_SEQUENCE_NUMBER","StartingSequenceNumber":"2")");
  // Record 1 arrived at start+0, record 2 at start+10s: 5.5 s in is record 2.
  const std::string at_time =
      Iterator("shardId-000000000000", R"("AT_TIMESTAMP","Timestamp":1700000005.5)");
  CallOk("PutRecord", PutBody("clicks", "k", "new"));
  auto first_data = [&](const std::string& iterator) {
    const Json got = Get(iterator, 1);
    return *base::Base64Decode(Str(got["Records"].get_array().at(0)["Data"]));
  };
  EXPECT_EQ(first_data(latest), "new");
  EXPECT_EQ(first_data(at), "old1");
  EXPECT_EQ(first_data(after), "old2");
  EXPECT_EQ(first_data(at_time), "old1");

  const std::string base = R"({"StreamName":"clicks","ShardId":"shardId-000000000000",)";
  EXPECT_EQ(ErrorType("GetShardIterator", base + R"("ShardIteratorType":"AT_SEQUENCE_NUMBER"})"),
            "InvalidArgumentException");
  EXPECT_EQ(ErrorType("GetShardIterator", base + R"("ShardIteratorType":"AT_TIMESTAMP"})"),
            "InvalidArgumentException");
  EXPECT_EQ(ErrorType("GetShardIterator", base + R"("ShardIteratorType":"AT_SEQUENCE_NUMBER",)"
                                                 R"("StartingSequenceNumber":"99"})"),
            "InvalidArgumentException");
  EXPECT_EQ(ErrorType("GetShardIterator", base + R"("ShardIteratorType":"AT_SEQUENCE_NUMBER",)"
                                                 R"("StartingSequenceNumber":"x1"})"),
            "ValidationException");
  EXPECT_EQ(ErrorType("GetShardIterator", base + R"("ShardIteratorType":"OLDEST"})"),
            "ValidationException");
  EXPECT_EQ(
      Error(Call("GetShardIterator", R"({"StreamName":"clicks","ShardId":)"
                                     R"("shardId-000000000001","ShardIteratorType":"LATEST"})"))
          .second,
      "Shard shardId-000000000001 in stream clicks under account 000000000000 does not "
      "exist");
  EXPECT_EQ(
      ErrorType("GetShardIterator", R"({"StreamName":"none","ShardId":)"
                                    R"("shardId-000000000000","ShardIteratorType":"LATEST"})"),
      "ResourceNotFoundException");
}

TEST_F(KinesisRecordsTest, IteratorsExpireAfterFiveMinutes) {
  CreateStream("clicks", 1);
  CallOk("PutRecord", PutBody("clicks", "k", "a"));
  const std::string iterator = Iterator("shardId-000000000000", R"("TRIM_HORIZON")");
  clock_.Advance(std::chrono::seconds(300));
  const Json got = Get(iterator);
  const std::string next = Str(got["NextShardIterator"]);
  clock_.Advance(std::chrono::milliseconds(1));
  const auto [type, message] =
      Error(Call("GetRecords", R"({"ShardIterator":")" + iterator + "\"}"));
  EXPECT_EQ(type, "ExpiredIteratorException");
  EXPECT_EQ(message,
            "Iterator expired. It was issued 300001 ms ago; iterators are valid for "
            "300000 ms.");
  // NextShardIterator is issued fresh by each GetRecords.
  Get(next);
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_EQ(ErrorType("GetRecords", R"({"ShardIterator":")" + next + "\"}"),
            "ExpiredIteratorException");
}

TEST_F(KinesisRecordsTest, ForgedOrGarbledIteratorsAreRefused) {
  CreateStream("clicks", 2);
  const std::string iterator = Iterator("shardId-000000000000", R"("TRIM_HORIZON")");
  auto refuse = [&](const std::string& text) {
    const auto [type, message] = Error(Call("GetRecords", R"({"ShardIterator":")" + text + "\"}"));
    EXPECT_EQ(type, "InvalidArgumentException") << text;
    EXPECT_EQ(message, "Invalid ShardIterator.");
  };
  refuse("garbage");
  refuse("AAAA");
  std::string altered = *base::Base64Decode(iterator);
  altered[17] = 1;  // the shard number
  refuse(base::Base64Encode(altered));
  std::string flipped = iterator;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  refuse(flipped);
  // Another server's key: its iterators are not ours.
  KinesisOptions other_options;
  other_options.iterator_key = "another key";
  KinesisApi other(*store_, clock_, other_options);
  const auto reply = other.Handle(
      "Kinesis_20131202.GetShardIterator",
      R"({"StreamName":"clicks","ShardId":"shardId-000000000000","ShardIteratorType":"LATEST"})");
  refuse(Str(Ok(reply)["ShardIterator"]));
  EXPECT_EQ(ErrorType("GetRecords", R"({"ShardIterator":")" + std::string(513, 'A') + "\"}"),
            "ValidationException");
  EXPECT_EQ(ErrorType("GetRecords", "{}"), "ValidationException");
}

TEST_F(KinesisRecordsTest, IteratorsOfADeletedStreamDoNotReadItsSuccessor) {
  CreateStream("clicks", 1);
  const std::string iterator = Iterator("shardId-000000000000", R"("TRIM_HORIZON")");
  CallOk("DeleteStream", R"({"StreamName":"clicks"})");
  EXPECT_EQ(ErrorType("GetRecords", R"({"ShardIterator":")" + iterator + "\"}"),
            "ResourceNotFoundException");
  clock_.Advance(std::chrono::seconds(1));
  CreateStream("clicks", 1);
  EXPECT_EQ(ErrorType("GetRecords", R"({"ShardIterator":")" + iterator + "\"}"),
            "ResourceNotFoundException");
}

TEST_F(KinesisRecordsTest, ThroughputLimitPerShard) {
  KinesisOptions options;
  options.shard_records_per_second = 5;
  Reset(options);
  CreateStream("clicks", 1);
  std::string body = R"({"StreamName":"clicks","Records":[)";
  for (int i = 0; i < 8; ++i) body += (i ? "," : "") + RecordJson("k", std::to_string(i));
  body += "]}";
  const Json json = CallOk("PutRecords", body);
  EXPECT_EQ(Int(json["FailedRecordCount"]), 3);
  const auto results = json["Records"].get_array().value();
  EXPECT_EQ(Str(results.at(5)["ErrorCode"]), "ProvisionedThroughputExceededException");
  EXPECT_EQ(Str(results.at(5)["ErrorMessage"]),
            "Rate exceeded for shard shardId-000000000000 in stream clicks under account "
            "000000000000.");
  EXPECT_EQ(ErrorType("PutRecord", PutBody("clicks", "k", "x")),
            "ProvisionedThroughputExceededException");
  clock_.Advance(std::chrono::milliseconds(200));  // one token back
  CallOk("PutRecord", PutBody("clicks", "k", "x"));
  EXPECT_EQ(ErrorType("PutRecord", PutBody("clicks", "k", "x")),
            "ProvisionedThroughputExceededException");
  clock_.Advance(std::chrono::seconds(10));  // the bucket holds one second's worth
  EXPECT_EQ(Int(CallOk("PutRecords", body)["FailedRecordCount"]), 3);
}

TEST_F(KinesisRecordsTest, OnRecordSeesEachStoredRecord) {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> seen;
  KinesisOptions options;
  options.on_record = [&](std::string_view stream, std::string_view data, KinesisRecordKind kind) {
    // Without append_clicks nothing is a click event, not even a click line.
    EXPECT_EQ(kind, KinesisRecordKind::kOther);
    std::lock_guard lock(mu);
    seen.emplace_back(stream, data);
  };
  Reset(options);
  CreateStream("clicks", 2);
  CallOk("PutRecord", PutBody("clicks", "k", "bob,0,de,6513,p1,2016-06-14 17:28:47.0,1"));
  CallOk("PutRecords", R"({"StreamName":"clicks","Records":[)" + RecordJson("a", "x") +
                           R"(,{"PartitionKey":"b","Data":"!"},)" + RecordJson("c", "y") + "]}");
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"clicks", "bob,0,de,6513,p1,2016-06-14 17:28:47.0,1"},
                      {"clicks", "x"},
                      {"clicks", "y"}}));
}

TEST_F(KinesisRecordsTest, ConcurrentPutsGetDistinctSequenceNumbers) {
  CreateStream("clicks", 1);
  std::mutex mu;
  std::set<std::string> sequences;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const auto reply = Call("PutRecord", PutBody("clicks", "k", std::to_string(t * 100 + i)));
        const Json json = Ok(reply);
        std::lock_guard lock(mu);
        sequences.insert(Str(json["SequenceNumber"]));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(sequences.size(), 100u);
}

}  // namespace
}  // namespace promorec::kinesis
