// Test helper: a webhook receiver, a small HTTP/1.1 server on 127.0.0.1 (a
// free port) with a thread per connection. It records every request,
// verifies its signature with its own HMAC-SHA256 (OpenSSL's EVP_Q_mac, not
// the code under test) and answers from a script: the k-th request gets
// script[k] (the last entry repeats). A script entry "HANG" holds the
// request without answering until Release(), then answers 200. Not part of
// the library.
// Thread-safety: the accessors lock; Script before the first request.
#pragma once

#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "promorec/testing/loopback.h"

namespace promorec::notify {

class WebhookReceiver {
 public:
  struct Request {
    std::string request_line;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    bool signature_ok = false;    // t and v1 present, v1 = HMAC(secret, "<t>.<body>")
    std::int64_t signed_at = -1;  // the signature's t
  };

  explicit WebhookReceiver(std::string secret) : secret_(std::move(secret)) {
    const testing::LoopbackListener listener = testing::ListenOnLoopback(64);
    listen_fd_ = listener.fd;
    port_ = listener.port;
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    Release();
    acceptor_.join();
    for (std::thread& t : connections_) t.join();
    ::close(listen_fd_);
  }

  static std::string Reply(int status, const std::string& body = "",
                           const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + extra_headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  void Script(std::vector<std::string> responses) {
    std::lock_guard lock(mu_);
    script_ = std::move(responses);
  }
  // Answers the requests held by "HANG" (and later ones at once).
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }
  std::size_t answered() const { return answered_.load(); }

  // Waits (real time, at most `limit`) until `n` requests arrived.
  bool WaitForRequests(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return seen_.size() >= n; });
  }
  bool WaitForAnswers(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (answered_.load() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  // Lower-case hex HMAC-SHA256, computed here independently of the library.
  static std::string Hmac(const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t length = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
              &length);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < length; ++i) {
      hex.push_back(kHex[out[i] >> 4]);
      hex.push_back(kHex[out[i] & 0xF]);
    }
    return hex;
  }

 private:
  void Accept() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mu_);
      connections_.emplace_back([this, fd] {
        Serve(fd);
        ::close(fd);
      });
    }
  }

  void Serve(int fd) {
    std::string in;
    while (!stop_) {
      std::size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, &in)) return;
      }
      Request request;
      std::size_t line_end = in.find("\r\n");
      request.request_line = in.substr(0, line_end);
      std::size_t length = 0;
      while (line_end < head_end) {
        const std::size_t next = in.find("\r\n", line_end + 2);
        const std::string line = in.substr(line_end + 2, next - line_end - 2);
        const std::size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "content-length") length = std::stoul(value);
        request.headers[name] = value;
        line_end = next;
      }
      while (in.size() < head_end + 4 + length) {
        if (!ReadMore(fd, &in)) return;
      }
      request.body = in.substr(head_end + 4, length);
      in.erase(0, head_end + 4 + length);
      Verify(&request);
      std::string response;
      {
        std::unique_lock lock(mu_);
        seen_.push_back(request);
        const std::size_t k = seen_.size() - 1;
        response = script_.empty() ? Reply(200) : script_[std::min(k, script_.size() - 1)];
        cv_.notify_all();
        if (response == "HANG") {
          cv_.wait(lock, [this] { return released_ || stop_.load(); });
          response = Reply(200);
        }
      }
      if (stop_) return;
      ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
      answered_.fetch_add(1);
    }
  }

  void Verify(Request* request) const {
    const auto signature = request->headers.find("x-promorec-signature");
    if (signature == request->headers.end()) return;
    const std::string& value = signature->second;
    const std::size_t t = value.find("t=");
    const std::size_t v1 = value.find(",v1=");
    if (t != 0 || v1 == std::string::npos) return;
    const std::string stamp = value.substr(2, v1 - 2);
    request->signed_at = std::stoll(stamp);
    request->signature_ok = value.substr(v1 + 4) == Hmac(secret_, stamp + "." + request->body);
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

  const std::string secret_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> answered_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> script_;
  bool released_ = false;
  std::vector<Request> seen_;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

}  // namespace promorec::notify
