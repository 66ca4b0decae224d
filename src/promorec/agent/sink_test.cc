#include "promorec/agent/sink.h"

#include <gtest/gtest.h>

#include "promorec/agent/http_server_test_util.h"
#include "promorec/base/base64.h"

namespace promorec::agent {
namespace {

TEST(SinkTest, ParsesFormats) {
  EXPECT_EQ(*ParseLineFormat("click"), LineFormat::kClick);
  EXPECT_EQ(*ParseLineFormat("kasandr"), LineFormat::kKasandr);
  EXPECT_EQ(*ParseLineFormat("json"), LineFormat::kJson);
  EXPECT_FALSE(ParseLineFormat("csv"));
  EXPECT_EQ(LineFormatName(LineFormat::kJson), "json");
}

TEST(SinkTest, PartitionKeyIsTheUserIdOrAHash) {
  EXPECT_EQ(PartitionKey(LineFormat::kClick, "u7,o1,de,c,m,1518318207,1"), "u7");
  EXPECT_EQ(PartitionKey(LineFormat::kJson, R"({"product":"p","user_id":"u9","rating":1})"), "u9");
  EXPECT_EQ(PartitionKey(LineFormat::kJson, R"({"userid":42})"), "42");
  const std::string hashed = PartitionKey(LineFormat::kKasandr, "a\tb\tc");
  EXPECT_EQ(hashed.size(), 32u);
  EXPECT_EQ(hashed, PartitionKey(LineFormat::kKasandr, "a\tb\tc"));
  EXPECT_NE(hashed, PartitionKey(LineFormat::kKasandr, "a\tb\td"));
  EXPECT_EQ(PartitionKey(LineFormat::kJson, "not json").size(), 32u);
  EXPECT_EQ(PartitionKey(LineFormat::kClick, ",o1").size(), 32u);
  EXPECT_EQ(PartitionKey(LineFormat::kClick, std::string(300, 'u')).size(), 32u);
}

TEST(SinkTest, EventsSinkPostsLinesAndCountsRejections) {
  HttpTestServer server;
  server.Script({HttpTestServer::Reply(
                     200, R"({"accepted":1,"rejected":[{"index":1,"message":"bad rating"}]})"),
                 HttpTestServer::Reply(503, R"({"error":{}})"),
                 HttpTestServer::Reply(415, R"({"error":{}})")});
  auto client =
      std::make_unique<HttpClient>(*HttpUrl::Parse(server.url() + "/prefix"), HttpClientOptions{});
  auto sink = NewEventsSink(*client, LineFormat::kClick);
  const std::vector<std::string_view> lines = {"u1,o,de,c,m,1,1\r", "u2,o,de,c,m,1,x"};
  auto sent = sink->Send(lines);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->rejected, 1u);
  EXPECT_TRUE(sent->retry.empty());
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].head.starts_with("POST /prefix/v1/events HTTP/1.1"));
  EXPECT_NE(seen[0].head.find("Content-Type: text/csv"), std::string::npos);
  EXPECT_EQ(seen[0].body, "u1,o,de,c,m,1,1\r\nu2,o,de,c,m,1,x\n");
  auto unavailable = sink->Send(lines);
  ASSERT_FALSE(unavailable);
  EXPECT_EQ(unavailable.error().code(), base::Code::kUnavailable);
  auto refused = sink->Send(lines);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), base::Code::kFailedPrecondition);

  sink.reset();
  client.reset();  // the test server serves one connection at a time
  HttpClient json_client(*HttpUrl::Parse(server.url()), {});
  server.Script({HttpTestServer::Reply(200, R"({"accepted":1,"rejected":[]})")});
  ASSERT_TRUE(NewEventsSink(json_client, LineFormat::kJson)->Send(lines));
  EXPECT_NE(server.requests().back().head.find("Content-Type: application/x-ndjson"),
            std::string::npos);
}

TEST(SinkTest, KinesisSinkRetriesOnlyRetriableRecordErrors) {
  HttpTestServer server;
  server.Script({HttpTestServer::Reply(
      200,
      R"({"FailedRecordCount":2,"Records":[{"SequenceNumber":"1","ShardId":"shardId-000000000000"},)"
      R"({"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"},)"
      R"({"ErrorCode":"ValidationException","ErrorMessage":"bad"},)"
      R"({"ErrorCode":"InternalFailure","ErrorMessage":"disk"}]})")});
  HttpClient client(*HttpUrl::Parse(server.url()), {});
  base::FakeClock clock(1'700'000'000'000'000);
  auto sink = NewKinesisSink(client, "clicks", LineFormat::kClick, clock);
  const std::vector<std::string_view> lines = {"u1,a", "u2,b", "u3,c", "u4,\"d\""};
  auto sent = sink->Send(lines);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->retry, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(sent->rejected, 1u);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].head.starts_with("POST / HTTP/1.1"));
  EXPECT_NE(seen[0].head.find("X-Amz-Target: Kinesis_20131202.PutRecords\r\n"), std::string::npos);
  EXPECT_NE(seen[0].head.find("Authorization: AWS4-HMAC-SHA256 Credential=promorec/20231114/"),
            std::string::npos)
      << seen[0].head;
  const std::string expected_first = "{\"StreamName\":\"clicks\",\"Records\":[{\"Data\":\"" +
                                     base::Base64Encode("u1,a") + "\",\"PartitionKey\":\"u1\"}";
  EXPECT_TRUE(seen[0].body.starts_with(expected_first)) << seen[0].body;
  EXPECT_NE(seen[0].body.find(base::Base64Encode("u4,\"d\"")), std::string::npos);
}

TEST(SinkTest, KinesisSinkClassifiesWholeRequestErrors) {
  HttpTestServer server;
  server.Script({HttpTestServer::Reply(400, R"({"__type":"ResourceNotFoundException"})"),
                 HttpTestServer::Reply(500, R"({"__type":"InternalFailure"})"),
                 HttpTestServer::Reply(400, R"({"__type":"ValidationException"})"),
                 HttpTestServer::Reply(200, R"({"Records":[]})")});
  HttpClient client(*HttpUrl::Parse(server.url()), {});
  auto sink = NewKinesisSink(client, "s", LineFormat::kKasandr, base::RealClock());
  const std::vector<std::string_view> lines = {"x"};
  EXPECT_EQ(sink->Send(lines).error().code(), base::Code::kUnavailable);
  EXPECT_EQ(sink->Send(lines).error().code(), base::Code::kUnavailable);
  EXPECT_EQ(sink->Send(lines).error().code(), base::Code::kFailedPrecondition);
  EXPECT_EQ(sink->Send(lines).error().code(), base::Code::kCorruption);
}

}  // namespace
}  // namespace promorec::agent
