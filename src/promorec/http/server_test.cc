#include "promorec/http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace promorec::http {
namespace {

Request Make(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

TEST(RouterTest, ExactRoutesWinOverPatternsAndPatternsCaptureSegments) {
  Router router;
  router.Add("POST", "/endpoints/{name}/invocations", [](const Request& r) {
    return Response{200, "text/plain", "pattern " + r.params.at("name")};
  });
  router.Add("POST", "/endpoints/special/invocations", [](const Request&) {
    return Response{200, "text/plain", "exact"};
  });
  EXPECT_EQ(router.Dispatch(Make("POST", "/endpoints/shop-a/invocations")).body, "pattern shop-a");
  EXPECT_EQ(router.Dispatch(Make("POST", "/endpoints/special/invocations")).body, "exact");
  EXPECT_EQ(router.Dispatch(Make("POST", "/endpoints//invocations")).status, 404);
  EXPECT_EQ(router.Dispatch(Make("POST", "/endpoints/a/b/invocations")).status, 404);
  const Response wrong_method = router.Dispatch(Make("GET", "/endpoints/x/invocations"));
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_NE(wrong_method.body.find("method_not_allowed"), std::string::npos);
}

// A minimal HTTP/1.1 client over a blocking socket.
std::string Exchange(std::uint16_t port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string reply;
  char buf[4096];
  ssize_t n = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return reply;
}

TEST(ServerTest, HandlersSeeHeadersAndQueryAndSetResponseHeaders) {
  Router router;
  router.Add("GET", "/echo", [](const Request& r) {
    Response response{
        200, "text/plain",
        std::string(r.Header("x-amz-target")) + "|" + r.query.at("user") + "|" + r.query.at("k")};
    response.headers.emplace_back("x-amzn-ErrorType", "ModelError");
    return response;
  });
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  std::vector<std::string> observed;
  options.observe = [&observed](const std::string& route, int status, double seconds) {
    EXPECT_GE(seconds, 0);
    observed.push_back(route + " " + std::to_string(status));
  };
  auto server = Server::Start(options, std::move(router));
  ASSERT_TRUE(server) << server.error().ToString();
  const std::string reply = Exchange(
      (*server)->port(),
      "GET /echo?user=u%201&k=5 HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.PutRecord\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Kinesis_20131202.PutRecord|u 1|5"), std::string::npos) << reply;
  EXPECT_NE(reply.find("x-amzn-ErrorType: ModelError"), std::string::npos) << reply;
  Exchange((*server)->port(), "GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  (*server)->Stop();
  EXPECT_EQ(observed, (std::vector<std::string>{"GET /echo 200", "unmatched 404"}));
}

}  // namespace
}  // namespace promorec::http
