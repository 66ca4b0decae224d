#include "promorec/agent/http_client.h"

#include <gtest/gtest.h>

#include "promorec/agent/http_server_test_util.h"

namespace promorec::agent {
namespace {

HttpClient ClientFor(const HttpTestServer& server,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  HttpClientOptions options;
  options.request_timeout = timeout;
  return HttpClient(*HttpUrl::Parse(server.url()), options);
}

TEST(HttpUrlTest, ParsesHostPortAndPrefix) {
  auto url = HttpUrl::Parse("http://example.com:8081/base/");
  ASSERT_TRUE(url) << url.error().ToString();
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8081);
  EXPECT_EQ(url->path_prefix, "/base");
  EXPECT_EQ(HttpUrl::Parse("http://h")->port, 80);
  EXPECT_EQ(HttpUrl::Parse("http://[::1]:9/")->host, "::1");
  EXPECT_EQ(HttpUrl::Parse("http://[::1]:9/")->HostHeader(), "[::1]:9");
  EXPECT_FALSE(HttpUrl::Parse("https://h/"));
  EXPECT_FALSE(HttpUrl::Parse("http://h:0/"));
  EXPECT_FALSE(HttpUrl::Parse("http://h:99999/"));
  EXPECT_FALSE(HttpUrl::Parse("http://:80/"));
}

TEST(HttpClientTest, ServerErrorThenSuccessOnOneKeptAliveConnection) {
  HttpTestServer server;
  server.Script({HttpTestServer::Reply(500, "{\"error\":1}"), HttpTestServer::Reply(200, "ok")});
  HttpClient client = ClientFor(server);
  const std::vector<HttpHeader> headers = {{"Content-Type", "text/csv"}};
  auto first = client.Post("/v1/events", headers, "a,b\n");
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->status, 500);
  EXPECT_EQ(first->body, "{\"error\":1}");
  EXPECT_EQ(first->Header("content-type"), "application/json");
  auto second = client.Post("/v1/events", headers, "a,b\n");
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "ok");
  EXPECT_EQ(client.connections_opened(), 1u);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(seen[0].head.starts_with("POST /v1/events HTTP/1.1\r\n")) << seen[0].head;
  EXPECT_NE(seen[0].head.find("Content-Type: text/csv"), std::string::npos);
  EXPECT_EQ(seen[1].body, "a,b\n");
  EXPECT_EQ(seen[1].connection, 1);
}

TEST(HttpClientTest, ReconnectsWhenTheServerClosedTheIdleConnection) {
  HttpTestServer server;
  server.Script({HttpTestServer::Reply(200, "1")}, /*close_after=*/1);
  HttpClient client = ClientFor(server);
  for (int i = 0; i < 3; ++i) {
    auto response = client.Post("/", {}, "x");
    ASSERT_TRUE(response) << i << ": " << response.error().ToString();
    EXPECT_EQ(response->body, "1");
  }
  EXPECT_EQ(client.connections_opened(), 3u);
}

TEST(HttpClientTest, ConnectionCloseHeaderAndBodyUntilClose) {
  HttpTestServer server;
  server.Script({"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"}, /*close_after=*/1);
  HttpClient client = ClientFor(server);
  auto response = client.Post("/", {}, "");
  ASSERT_TRUE(response) << response.error().ToString();
  EXPECT_EQ(response->body, "all of it");
  ASSERT_TRUE(client.Post("/", {}, ""));
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST(HttpClientTest, ChunkedBodyAndInterimResponse) {
  HttpTestServer server;
  server.Script(
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
       "\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nTrailer: 1\r\n\r\n"});
  HttpClient client = ClientFor(server);
  auto response = client.Post("/", {}, "");
  ASSERT_TRUE(response) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello world");
  ASSERT_TRUE(client.Post("/", {}, ""));
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST(HttpClientTest, TimeoutAndRefusedConnectionAreUnavailable) {
  HttpTestServer server;
  server.Script({"HANG"});
  HttpClient client = ClientFor(server, std::chrono::milliseconds(200));
  auto hung = client.Post("/", {}, "x");
  ASSERT_FALSE(hung);
  EXPECT_EQ(hung.error().code(), base::Code::kUnavailable);
  EXPECT_NE(hung.error().message().find("timed out"), std::string::npos) << hung.error().message();

  std::uint16_t closed_port;
  {
    HttpTestServer gone;
    closed_port = gone.port();
  }
  HttpClient refused(*HttpUrl::Parse("http://127.0.0.1:" + std::to_string(closed_port)), {});
  auto answer = refused.Post("/", {}, "x");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code(), base::Code::kUnavailable);
}

TEST(HttpClientTest, ConnectionDroppedWithoutAnswerIsUnavailable) {
  HttpTestServer server;
  server.Script({""});
  HttpClient client = ClientFor(server);
  auto response = client.Post("/", {}, "x");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), base::Code::kUnavailable);
}

TEST(HttpClientTest, MalformedStatusLineIsCorruption) {
  HttpTestServer server;
  server.Script({"SPDY/9 200\r\n\r\n"});
  HttpClient client = ClientFor(server);
  auto response = client.Post("/", {}, "x");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code(), base::Code::kCorruption);
}

}  // namespace
}  // namespace promorec::agent
