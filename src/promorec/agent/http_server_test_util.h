// Test helper: a tiny HTTP/1.1 server on 127.0.0.1 (a free port) that runs
// in a thread, records each request and answers from a script: one raw
// response per request, in order (the last one repeats). A response of ""
// closes the connection without answering; "HANG" answers nothing. Each
// connection is served until the client closes it, unless `close_after`
// says to close after that many requests. Not part of the library.
// Thread-safety: the accessors lock; Script before the first request.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "promorec/testing/loopback.h"

namespace promorec::agent {

class HttpTestServer {
 public:
  struct Seen {
    std::string head;  // request line and headers
    std::string body;
    int connection = 0;  // 1-based number of the connection it came on
  };

  HttpTestServer() {
    const testing::LoopbackListener listener = testing::ListenOnLoopback(16);
    listen_fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { Serve(); });
  }
  ~HttpTestServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }

  // A complete response with a Content-Length body.
  static std::string Reply(int status, const std::string& body, const std::string& extra = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  void Script(std::vector<std::string> responses, int close_after = 0) {
    std::lock_guard lock(mu_);
    script_ = std::move(responses);
    close_after_ = close_after;
  }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Seen> requests() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void Serve() {
    int connections = 0;
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ServeConnection(fd, ++connections);
      ::close(fd);
    }
  }

  void ServeConnection(int fd, int number) {
    std::string in;
    int served = 0;
    while (!stop_) {
      std::size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, &in)) return;
      }
      std::size_t length = 0;
      if (const std::size_t at = in.find("Content-Length: "); at < head_end) {
        const char* begin = in.data() + at + 16;
        std::from_chars(begin, in.data() + head_end, length);
      }
      while (in.size() < head_end + 4 + length) {
        if (!ReadMore(fd, &in)) return;
      }
      std::string response;
      int close_after = 0;
      {
        std::lock_guard lock(mu_);
        seen_.push_back({in.substr(0, head_end), in.substr(head_end + 4, length), number});
        const std::size_t k = std::min(seen_.size() - 1, script_.size() - 1);
        response = script_.empty() ? Reply(200, "{}") : script_[k];
        close_after = close_after_;
      }
      in.erase(0, head_end + 4 + length);
      if (response.empty()) return;
      if (response == "HANG") {
        while (!stop_ && ReadMore(fd, &in)) {
        }
        return;
      }
      ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
      if (close_after > 0 && ++served >= close_after) return;
    }
  }

  bool ReadMore(int fd, std::string* in) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in->append(buf, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> script_;
  int close_after_ = 0;
  std::vector<Seen> seen_;
  std::thread thread_;
};

}  // namespace promorec::agent
