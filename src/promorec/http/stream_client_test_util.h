// Test helper: a blocking HTTP/1.1 client for streamed responses. It sends
// raw request bytes, reads the response head, then decodes the chunked body
// as its chunks arrive, so a test sees each write of a stream as soon as
// the server sends it. Reads time out after 10 s (a test that waits for
// bytes that never come fails instead of hanging). Subclasses may replace
// the transport (TLS).
// Thread-safety: one client per thread.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace promorec::http {

class StreamClient {
 public:
  explicit StreamClient(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  virtual ~StreamClient() { Hangup(); }
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void Send(std::string_view bytes) {
    std::size_t at = 0;
    while (at < bytes.size()) {
      const ssize_t n = RawWrite(bytes.data() + at, bytes.size() - at);
      ASSERT_GT(n, 0) << "send failed";
      at += static_cast<std::size_t>(n);
    }
  }

  // `GET target` with the given extra header lines ("Name: value\r\n").
  void Get(std::string_view target, std::string_view headers = {}) {
    Send("GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(headers) +
         "\r\n");
  }

  // The response head (status line and headers, through the blank line);
  // "" when the connection closed or timed out first.
  std::string Head() {
    while (true) {
      const std::size_t end = raw_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string head = raw_.substr(0, end + 4);
        raw_.erase(0, end + 4);
        return head;
      }
      if (!Fill()) return "";
    }
  }

  // Decodes chunks until `done(body)` holds for the body decoded so far,
  // the last chunk arrives, or the connection ends; returns the body.
  const std::string& ReadUntil(const std::function<bool(const std::string&)>& done) {
    while (!done(body_)) {
      if (!DecodeSome() && (ended_ || !Fill())) break;
    }
    return body_;
  }
  // The whole body, to the last chunk or the connection's end.
  const std::string& ReadToEnd() {
    return ReadUntil([](const std::string&) { return false; });
  }
  // Whether the last (empty) chunk arrived.
  bool ended() const { return ended_; }
  // Whether the server closed the connection after what was read.
  bool Closed() {
    char c = 0;
    return raw_.empty() && RawRead(&c, 1) == 0;
  }
  // Closes the connection from this side.
  void Hangup() {
    if (fd_ >= 0) {
      Shutdown();
      ::close(fd_);
      fd_ = -1;
    }
  }

 protected:
  virtual ssize_t RawRead(char* buffer, std::size_t size) { return ::read(fd_, buffer, size); }
  virtual ssize_t RawWrite(const char* data, std::size_t size) {
    return ::send(fd_, data, size, MSG_NOSIGNAL);
  }
  virtual void Shutdown() {}

  int fd_ = -1;

 private:
  bool Fill() {
    char buffer[16384];
    const ssize_t n = RawRead(buffer, sizeof buffer);
    if (n <= 0) return false;
    raw_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  // Decodes the complete chunks in raw_; false when none was complete.
  bool DecodeSome() {
    bool any = false;
    while (!ended_) {
      const std::size_t line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) break;
      const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) break;
      EXPECT_EQ(raw_.substr(line_end + 2 + size, 2), "\r\n") << "a chunk must end with CRLF";
      body_.append(raw_, line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
      ended_ = size == 0;
      any = true;
    }
    return any;
  }

  bool connected_ = false;
  std::string raw_;
  std::string body_;
  bool ended_ = false;
};

}  // namespace promorec::http
