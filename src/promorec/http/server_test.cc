#include "promorec/http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  options.observe = [&observed](std::string_view route, int status, double seconds) {
    EXPECT_GE(seconds, 0);
    observed.push_back(std::string(route) + " " + std::to_string(status));
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

// A keep-alive client over a blocking socket that reads whole responses.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  void Send(std::string_view bytes) {
    ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // The next response (head and Content-Length body), or "" on close/timeout.
  std::string Next() {
    while (true) {
      const std::size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const std::size_t at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(buffer_.substr(at + 16));
        if (buffer_.size() >= end + 4 + length) {
          std::string response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Whether the server closed the connection (after any buffered bytes).
  bool Closed() {
    char c = 0;
    return buffer_.empty() && read(fd_, &c, 1) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Body(const std::string& response) {
  return response.substr(std::min(response.size(), response.find("\r\n\r\n") + 4));
}

// A route set used below: /loop answers on the event loop; /worker on a
// worker thread, waiting while `gate` is closed.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = true;
  int waiting = 0;
};

Router TestRouter(Gate& gate) {
  Router router;
  router.Add("GET", "/loop", [](const Request& r) {
    return Response{200, "text/plain", "loop " + r.body};
  });
  router.Add(
      "POST", "/worker",
      [&gate](const Request& r) {
        std::unique_lock lock(gate.mutex);
        ++gate.waiting;
        gate.changed.notify_all();
        gate.changed.wait(lock, [&gate] { return gate.open; });
        return Response{200, "text/plain", "worker " + r.body};
      },
      Execution::kWorker);
  return router;
}

std::unique_ptr<Server> StartTestServer(Gate& gate, ServerOptions options = {}) {
  options.port = 0;
  options.threads = 1;
  options.workers = 4;
  options.max_body_bytes = 1000;
  options.max_header_bytes = 4096;
  auto server = Server::Start(options, TestRouter(gate));
  EXPECT_TRUE(server) << server.error().ToString();
  return server ? std::move(*server) : nullptr;
}

TEST(ServerTest, PipelinedRequestsAnswerInOrderAcrossLoopAndWorkerRoutes) {
  Gate gate;
  auto server = StartTestServer(gate);
  Client client(server->port());
  client.Send(
      "GET /loop HTTP/1.1\r\n\r\nPOST /worker HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"
      "POST /worker HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"
      "GET /loop HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(client.Next()), "loop ");
  EXPECT_EQ(Body(client.Next()), "worker x");
  EXPECT_EQ(Body(client.Next()), "worker abc");
  const std::string last = client.Next();
  EXPECT_EQ(Body(last), "loop ");
  EXPECT_EQ(last.find("Connection: close"), std::string::npos);
}

TEST(ServerTest, AWaitingWorkerRouteDoesNotHoldUpTheLoop) {
  Gate gate;
  gate.open = false;
  auto server = StartTestServer(gate);
  Client slow(server->port());
  slow.Send("POST /worker HTTP/1.1\r\nContent-Length: 4\r\n\r\nslow");
  {
    std::unique_lock lock(gate.mutex);
    gate.changed.wait(lock, [&gate] { return gate.waiting == 1; });
  }
  Client quick(server->port());
  quick.Send("GET /loop HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(quick.Next()), "loop ");
  {
    const std::lock_guard lock(gate.mutex);
    gate.open = true;
  }
  gate.changed.notify_all();
  EXPECT_EQ(Body(slow.Next()), "worker slow");
}

TEST(ServerTest, LimitsAreAnsweredWithTheirStatusAndTheConnectionCloses) {
  Gate gate;
  auto server = StartTestServer(gate);
  Client big_body(server->port());
  big_body.Send("POST /worker HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  const std::string too_large = big_body.Next();
  EXPECT_NE(too_large.find("HTTP/1.1 413 "), std::string::npos) << too_large;
  EXPECT_NE(too_large.find("\"code\":\"body_too_large\""), std::string::npos) << too_large;
  EXPECT_NE(too_large.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(big_body.Closed());
  Client big_head(server->port());
  big_head.Send("GET /loop HTTP/1.1\r\nX-Big: " + std::string(5000, 'b') + "\r\n\r\n");
  EXPECT_NE(big_head.Next().find("HTTP/1.1 431 "), std::string::npos);
  Client garbage(server->port());
  garbage.Send("HELLO\r\n\r\n");
  EXPECT_NE(garbage.Next().find("HTTP/1.1 400 "), std::string::npos);
}

TEST(ServerTest, ExpectContinueGetsContinueBeforeTheBody) {
  Gate gate;
  auto server = StartTestServer(gate);
  Client client(server->port());
  client.Send("POST /worker HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(client.Next(), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("ok");
  EXPECT_EQ(Body(client.Next()), "worker ok");
}

TEST(ServerTest, AConnectionIdlePartWayThroughARequestGets408) {
  Gate gate;
  ServerOptions options;
  options.idle_timeout_seconds = 1;
  auto server = StartTestServer(gate, options);
  Client partial(server->port());
  partial.Send("POST /worker HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  const std::string reply = partial.Next();
  EXPECT_NE(reply.find("HTTP/1.1 408 "), std::string::npos) << reply;
  EXPECT_TRUE(partial.Closed());
  Client idle(server->port());
  EXPECT_TRUE(idle.Closed());  // closed without an answer
}

TEST(ServerTest, StopFinishesRequestsInFlightAndClosesIdleConnections) {
  Gate gate;
  gate.open = false;
  auto server = StartTestServer(gate);
  Client idle(server->port());
  idle.Send("GET /loop HTTP/1.1\r\n\r\n");
  EXPECT_EQ(Body(idle.Next()), "loop ");
  Client busy(server->port());
  busy.Send("POST /worker HTTP/1.1\r\nContent-Length: 2\r\n\r\nin");
  Client half(server->port());
  half.Send("POST /worker HTTP/1.1\r\nContent-Length: 4\r\n\r\nha");
  {
    std::unique_lock lock(gate.mutex);
    gate.changed.wait(lock, [&gate] { return gate.waiting == 1; });
  }
  std::thread stopper([&server] { server->Stop(); });
  EXPECT_TRUE(idle.Closed());
  half.Send("lf");
  {
    const std::lock_guard lock(gate.mutex);
    gate.open = true;
  }
  gate.changed.notify_all();
  const std::string answered = busy.Next();
  EXPECT_EQ(Body(answered), "worker in");
  EXPECT_TRUE(busy.Closed());
  EXPECT_EQ(Body(half.Next()), "worker half");
  stopper.join();
  Client late(server->port());
  EXPECT_FALSE(late.connected());
}

// Requests whose bytes reached the server before it was told to stop are
// answered, even when the loop had not yet taken their connections from
// the listener or read from them.
TEST(ServerTest, StopAnswersRequestsThatArrivedBeforeIt) {
  Gate gate;
  auto server = StartTestServer(gate);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(clients.back()->connected());
    clients.back()->Send("GET /loop HTTP/1.1\r\n\r\n");
  }
  server->Stop();
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const std::string answer = clients[i]->Next();
    EXPECT_EQ(Body(answer), "loop ") << "client " << i;
    EXPECT_TRUE(clients[i]->Closed()) << "client " << i;
  }
}

// A client that sends request after request without reading the answers
// is not read any further once its unread answers pile up: its sends
// block (the socket buffers fill) instead of the server buffering without
// bound. Once it reads, every request gets its answer, in order.
TEST(ServerTest, AClientThatDoesNotReadIsNotReadEither) {
  Router router;
  router.Add("GET", "/big", [](const Request& r) {
    return Response{200, "text/plain", r.query.at("n") + std::string(1 << 10, 'x')};
  });
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  auto server = Server::Start(options, std::move(router));
  ASSERT_TRUE(server) << server.error().ToString();
  Client client((*server)->port());
  ASSERT_TRUE(client.connected());
  const int fd = client.fd();
  ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
  std::size_t sent_requests = 0;
  std::size_t sent_bytes = 0;
  bool blocked = false;
  std::string pending;
  // 48 MiB of requests would be about 2 GiB of answers: far more than the
  // socket buffers and the server's limit on unread answers hold.
  while (sent_bytes < (std::size_t{48} << 20)) {
    if (pending.empty()) {
      pending = "GET /big?n=" + std::to_string(sent_requests++) + " HTTP/1.1\r\n\r\n";
    }
    ssize_t n = write(fd, pending.data(), pending.size());
    if (n < 0 && errno == EAGAIN) {
      // Give the server a moment: a block that lasts is the server refusing
      // to read more.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      n = write(fd, pending.data(), pending.size());
      if (n < 0 && errno == EAGAIN) {
        blocked = true;
        break;
      }
    }
    ASSERT_GT(n, 0);
    pending.erase(0, static_cast<std::size_t>(n));
    sent_bytes += static_cast<std::size_t>(n);
  }
  EXPECT_TRUE(blocked) << "sent " << sent_bytes << " bytes without the server pushing back";
  // What the client got out before blocking is what the socket buffers
  // hold plus about 1 MiB of answers' worth of requests; a server that
  // kept reading would have taken far more by the time it stalled.
  EXPECT_LT(sent_bytes, std::size_t{12} << 20);
  ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK), 0);
  // Read every answer while the rest of the last request goes out.
  std::vector<std::string> numbers;
  std::thread reader([&] {
    for (std::size_t i = 0; i < sent_requests; ++i) {
      const std::string body = Body(client.Next());
      numbers.push_back(body.substr(0, body.find('x')));
    }
  });
  std::size_t at = 0;
  while (at < pending.size()) {
    const ssize_t n = write(fd, pending.data() + at, pending.size() - at);
    ASSERT_GT(n, 0);
    at += static_cast<std::size_t>(n);
  }
  reader.join();
  ASSERT_EQ(numbers.size(), sent_requests);
  for (std::size_t i = 0; i < numbers.size(); ++i) ASSERT_EQ(numbers[i], std::to_string(i)) << i;
}

}  // namespace
}  // namespace promorec::http
