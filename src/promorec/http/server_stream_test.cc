// Streamed responses (Response::stream) through a real Server: order and
// delivery of writes from other threads, the client leaving, a client that
// does not read, idle timeouts and heartbeats, Stop, and TLS.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "promorec/http/server.h"
#include "promorec/http/stream_client_test_util.h"

namespace promorec::http {
namespace {

// Holds a handler until the test opens it.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  bool open = true;
  int waiting = 0;
};

// The handlers below open a stream and hand it to the test, which writes
// to it from its own threads as a producer would.
struct Opened {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  ResponseStream::Options options;
  Gate gate;  // /stream-gated waits on it after opening its stream

  void Add(std::shared_ptr<ResponseStream> stream) {
    {
      const std::lock_guard lock(mutex);
      streams.push_back(std::move(stream));
    }
    changed.notify_all();
  }
  // The `i`th stream opened (waits for it).
  std::shared_ptr<ResponseStream> Wait(std::size_t i) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return streams.size() > i; });
    return streams[i];
  }
};

Response StreamResponse(std::shared_ptr<ResponseStream> stream) {
  Response response;
  response.content_type = "text/event-stream";
  response.stream = std::move(stream);
  return response;
}

Router StreamRouter(Opened& opened) {
  Router router;
  const auto open = [&opened](const Request&) {
    auto stream = std::make_shared<ResponseStream>(opened.options);
    opened.Add(stream);
    return StreamResponse(stream);
  };
  router.Add("GET", "/stream", open);
  router.Add("GET", "/stream-worker", open, Execution::kWorker);
  router.Add(
      "GET", "/stream-gated",
      [&opened](const Request&) {
        auto stream = std::make_shared<ResponseStream>(opened.options);
        opened.Add(stream);
        std::unique_lock lock(opened.gate.mutex);
        ++opened.gate.waiting;
        opened.gate.changed.notify_all();
        opened.gate.changed.wait(lock, [&opened] { return opened.gate.open; });
        return StreamResponse(stream);
      },
      Execution::kWorker);
  router.Add("GET", "/loop", [](const Request&) { return Response{200, "text/plain", "loop"}; });
  return router;
}

std::unique_ptr<Server> StartStreamServer(Opened& opened, ServerOptions options = {}) {
  options.port = 0;
  options.threads = 1;  // every connection on one loop: nothing may block it
  auto server = Server::Start(options, StreamRouter(opened));
  EXPECT_TRUE(server) << server.error().ToString();
  return server ? std::move(*server) : nullptr;
}

// Resolves once the stream has ended (its OnClose callback ran).
std::future<void> Ended(const std::shared_ptr<ResponseStream>& stream) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> ended = done->get_future();
  stream->OnClose([done] { done->set_value(); });
  return ended;
}

// Generous: what it bounds would otherwise hang until a 30 s drain or forever.
constexpr auto kLongEnough = std::chrono::seconds(10);

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class StreamWritesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(StreamWritesTest, WritesFromAnotherThreadArriveInOrderThenTheStreamEnds) {
  Opened opened;
  auto server = StartStreamServer(opened);
  StreamClient client(server->port());
  client.Get(GetParam());
  const std::string head = client.Head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_TRUE(Contains(head, "\r\nContent-Type: text/event-stream\r\n")) << head;
  EXPECT_TRUE(Contains(head, "\r\nCache-Control: no-store\r\n")) << head;
  EXPECT_TRUE(Contains(head, "\r\nTransfer-Encoding: chunked\r\n")) << head;
  EXPECT_FALSE(Contains(head, "Content-Length")) << head;
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  const std::future<void> ended = Ended(stream);
  std::string expected;
  for (int i = 0; i < 2000; ++i) expected += "data: " + std::to_string(i) + "\n\n";
  std::thread producer([&stream] {
    for (int i = 0; i < 2000; ++i) {
      EXPECT_TRUE(stream->Write("data: " + std::to_string(i) + "\n\n")) << i;
    }
    stream->Close();
    EXPECT_FALSE(stream->Write("late"));
  });
  // The first writes arrive before the producer is done.
  EXPECT_TRUE(
      client.ReadUntil([](const std::string& b) { return !b.empty(); }).starts_with("data: 0\n\n"));
  producer.join();
  EXPECT_EQ(client.ReadToEnd(), expected);
  EXPECT_TRUE(client.ended());
  EXPECT_TRUE(client.Closed());
  EXPECT_EQ(ended.wait_for(kLongEnough), std::future_status::ready);
  EXPECT_TRUE(stream->closed());
}

// Writes larger than what the loop moves to the socket at once, from a
// producer that retries when the buffer is full: every byte arrives, in
// order, however the socket's pace and the writes interleave.
TEST_P(StreamWritesTest, LargeWritesToAReadingClientAllArrive) {
  Opened opened;
  opened.options.max_buffered_bytes = 512 << 10;
  auto server = StartStreamServer(opened);
  StreamClient client(server->port());
  client.Get(GetParam());
  EXPECT_FALSE(client.Head().empty());
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  constexpr int kWrites = 300;
  std::thread producer([&stream] {
    // A stream that stops moving stops the producer too, once the reader
    // has given up (its reads time out): the test then fails, not hangs.
    const auto give_up = std::chrono::steady_clock::now() + 2 * kLongEnough;
    for (int i = 0; i < kWrites; ++i) {
      const std::string chunk(100 << 10, static_cast<char>('a' + i % 26));
      while (!stream->Write(chunk)) {
        if (std::chrono::steady_clock::now() > give_up) return;
        std::this_thread::yield();
      }
    }
    stream->Close();
  });
  const std::string& body = client.ReadToEnd();
  producer.join();
  ASSERT_EQ(body.size(), std::size_t{kWrites} * (100 << 10));
  for (int i = 0; i < kWrites; ++i) {
    ASSERT_EQ(body[static_cast<std::size_t>(i) * (100 << 10)], static_cast<char>('a' + i % 26))
        << i;
  }
  EXPECT_TRUE(client.ended());
}

INSTANTIATE_TEST_SUITE_P(LoopAndWorkerRoutes, StreamWritesTest,
                         ::testing::Values("/stream", "/stream-worker"));

TEST(StreamServerTest, DeferredWritesGoOutWithTheWake) {
  Opened opened;
  auto server = StartStreamServer(opened);
  StreamClient client(server->port());
  client.Get("/stream");
  EXPECT_TRUE(client.Head().starts_with("HTTP/1.1 200 OK\r\n"));
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string frame = "data: " + std::to_string(i) + "\n\n";
    EXPECT_TRUE(stream->WriteDeferred(frame));
    expected += frame;
  }
  stream->Wake();
  EXPECT_EQ(client.ReadUntil([&](const std::string& b) { return b.size() >= expected.size(); }),
            expected);
  stream->Wake();  // nothing waits: nothing happens
  EXPECT_TRUE(stream->Write("data: end\n\n"));
  stream->Close();
  EXPECT_FALSE(stream->WriteDeferred("late"));
  EXPECT_EQ(client.ReadToEnd(), expected + "data: end\n\n");
}

TEST(StreamServerTest, AClientThatHangsUpEndsItsStream) {
  Opened opened;
  auto server = StartStreamServer(opened);
  StreamClient client(server->port());
  client.Get("/stream");
  EXPECT_FALSE(client.Head().empty());
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  const std::future<void> ended = Ended(stream);
  EXPECT_TRUE(stream->Write("data: one\n\n"));
  EXPECT_EQ(client.ReadUntil([](const std::string& b) { return !b.empty(); }), "data: one\n\n");
  EXPECT_FALSE(stream->closed());
  client.Hangup();
  ASSERT_EQ(ended.wait_for(kLongEnough), std::future_status::ready);
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->Write("data: two\n\n"));
}

TEST(StreamServerTest, AStreamWhoseClientLeftBeforeTheAnswerEnds) {
  Opened opened;
  opened.gate.open = false;
  auto server = StartStreamServer(opened);
  auto client = std::make_unique<StreamClient>(server->port());
  client->Get("/stream-gated");
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  const std::future<void> ended = Ended(stream);
  {
    std::unique_lock lock(opened.gate.mutex);
    opened.gate.changed.wait(lock, [&opened] { return opened.gate.waiting == 1; });
  }
  client.reset();  // hangs up while the handler still works
  {
    const std::lock_guard lock(opened.gate.mutex);
    opened.gate.open = true;
  }
  opened.gate.changed.notify_all();
  ASSERT_EQ(ended.wait_for(kLongEnough), std::future_status::ready);
  EXPECT_FALSE(stream->Write("data: nobody\n\n"));
}

// A client that does not read: its stream's buffer fills and Write says
// so at once, while the same loop goes on serving other clients; what was
// accepted is delivered, in order, once the client reads.
TEST(StreamServerTest, AClientThatDoesNotReadFillsItsBufferWithoutBlockingOthers) {
  Opened opened;
  opened.options.max_buffered_bytes = 64 << 10;
  auto server = StartStreamServer(opened);
  StreamClient stuck(server->port());
  stuck.Get("/stream");
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  std::string accepted;
  std::string chunk(1000, 'x');
  bool stuck_for_good = false;
  // Write as fast as the stream takes it. A refusal may only mean that the
  // loop has not moved the buffer to the socket yet: give it a moment, and
  // call the client stuck when the stream still refuses after that. 100 MB
  // accepted would mean no bound at all.
  for (int i = 0; i < 100000 && !stuck_for_good; ++i) {
    chunk.replace(0, 8, std::to_string(10000000 + i));
    if (stream->Write(chunk)) {
      accepted += chunk;
      continue;
    }
    stuck_for_good = true;
    const auto wait_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (std::chrono::steady_clock::now() < wait_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (stream->Write(chunk)) {
        accepted += chunk;
        stuck_for_good = false;
        break;
      }
    }
  }
  ASSERT_TRUE(stuck_for_good) << "accepted " << accepted.size()
                              << " bytes for a client that reads none";
  // What it took is the socket buffers', the connection's and the
  // stream's worth: far below what a server that kept buffering takes.
  EXPECT_LT(accepted.size(), std::size_t{32} << 20);
  EXPECT_FALSE(stream->closed());  // full is not closed: the producer decides

  StreamClient other(server->port());
  other.Get("/stream");
  EXPECT_FALSE(other.Head().empty());
  EXPECT_TRUE(opened.Wait(1)->Write("data: other\n\n"));
  EXPECT_EQ(other.ReadUntil([](const std::string& b) { return !b.empty(); }), "data: other\n\n");
  StreamClient plain(server->port());
  plain.Get("/loop");
  EXPECT_FALSE(plain.Head().empty());

  stream->Close();
  EXPECT_FALSE(stuck.Head().empty());
  EXPECT_EQ(stuck.ReadToEnd(), accepted);
  EXPECT_TRUE(stuck.ended());
}

TEST(StreamServerTest, IdleTimeoutLeavesAStreamOpenAndHeartbeatsFlow) {
  Opened opened;
  opened.options.heartbeat = ": ping\n\n";
  opened.options.heartbeat_interval = std::chrono::milliseconds(1000);
  ServerOptions options;
  options.idle_timeout_seconds = 1;
  auto server = StartStreamServer(opened, options);
  StreamClient client(server->port());
  client.Get("/stream");
  EXPECT_FALSE(client.Head().empty());
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  // Two heartbeats: the stream outlived the idle timeout at least twice.
  EXPECT_EQ(client.ReadUntil([](const std::string& b) { return b.size() >= 16; }),
            ": ping\n\n: ping\n\n");
  EXPECT_TRUE(stream->Write("data: still here\n\n"));
  EXPECT_TRUE(client.ReadUntil([](const std::string& b) { return Contains(b, "still here"); })
                  .ends_with("data: still here\n\n"));
}

TEST(StreamServerTest, StopEndsOpenStreamsPromptlyEvenWithAClientThatDoesNotRead) {
  Opened opened;
  opened.options.max_buffered_bytes = 64 << 10;
  auto server = StartStreamServer(opened);
  StreamClient reader(server->port());
  reader.Get("/stream");
  EXPECT_FALSE(reader.Head().empty());
  StreamClient stuck(server->port());
  stuck.Get("/stream");
  const std::shared_ptr<ResponseStream> live = opened.Wait(0);
  const std::shared_ptr<ResponseStream> full = opened.Wait(1);
  const std::future<void> live_ended = Ended(live);
  const std::future<void> full_ended = Ended(full);
  ASSERT_TRUE(live->Write("data: before stop\n\n"));
  EXPECT_EQ(reader.ReadUntil([](const std::string& b) { return !b.empty(); }),
            "data: before stop\n\n");
  for (int i = 0; i < 100000 && full->Write(std::string(1000, 'y')); ++i) {
  }
  std::future<void> stopped = std::async(std::launch::async, [&server] { server->Stop(); });
  ASSERT_EQ(stopped.wait_for(kLongEnough), std::future_status::ready);
  EXPECT_EQ(live_ended.wait_for(kLongEnough), std::future_status::ready);
  EXPECT_EQ(full_ended.wait_for(kLongEnough), std::future_status::ready);
  EXPECT_FALSE(live->Write("data: after stop\n\n"));
  // The reading client got a clean end: the last chunk, then the close.
  EXPECT_EQ(reader.ReadToEnd(), "data: before stop\n\n");
  EXPECT_TRUE(reader.ended());
  EXPECT_TRUE(reader.Closed());
}

// TLS: a self-signed certificate made for the test, and a client that
// trusts anything.
struct TestCertificate {
  std::string cert_pem;
  std::string key_pem;
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

TestCertificate MakeTestCertificate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  TestCertificate made;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  made.cert_pem = BioText(bio);
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  made.key_pem = BioText(bio);
  BIO_free(bio);
  X509_free(cert);
  EVP_PKEY_free(key);
  return made;
}

class TlsStreamClient : public StreamClient {
 public:
  explicit TlsStreamClient(std::uint16_t port) : StreamClient(port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    handshake_ = SSL_connect(ssl_) == 1;
  }
  ~TlsStreamClient() override {
    Hangup();
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool handshake() const { return handshake_; }

 protected:
  ssize_t RawRead(char* buffer, std::size_t size) override {
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    return n > 0 ? n : (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
  }
  ssize_t RawWrite(const char* data, std::size_t size) override {
    return SSL_write(ssl_, data, static_cast<int>(size));
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshake_ = false;
};

TEST(StreamServerTest, StreamsWorkOverTls) {
  const TestCertificate certificate = MakeTestCertificate();
  Opened opened;
  ServerOptions options;
  options.tls_cert_pem = certificate.cert_pem;
  options.tls_key_pem = certificate.key_pem;
  auto server = StartStreamServer(opened, options);
  ASSERT_NE(server, nullptr);
  TlsStreamClient client(server->port());
  ASSERT_TRUE(client.handshake());
  client.Get("/stream");
  EXPECT_TRUE(Contains(client.Head(), "Transfer-Encoding: chunked"));
  const std::shared_ptr<ResponseStream> stream = opened.Wait(0);
  std::string expected;
  std::thread producer([&stream] {
    for (int i = 0; i < 500; ++i) {
      EXPECT_TRUE(stream->Write("data: " + std::to_string(i) + "\n\n"));
    }
    stream->Close();
  });
  for (int i = 0; i < 500; ++i) expected += "data: " + std::to_string(i) + "\n\n";
  producer.join();
  EXPECT_EQ(client.ReadToEnd(), expected);
  EXPECT_TRUE(client.ended());
}

}  // namespace
}  // namespace promorec::http
