// A small blocking HTTP/1.1 client over POSIX sockets, enough to talk to
// promorec's own server (and any plain-HTTP endpoint) without a new
// library: POST with a Content-Length body, one kept-alive connection that
// is reopened when the server has closed it, responses framed by
// Content-Length, chunked encoding or the end of the connection, and a
// deadline on every request (connect, send and receive wait in poll(2)).
// No TLS: URLs are http:// only.
//
// Connection problems and timeouts are kUnavailable (worth retrying); a
// malformed response is kCorruption. An HTTP error status is not an error
// here: it is in the response.
//
// Thread-safety: one HttpClient per thread; it owns one connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::agent {

struct HttpUrl {
  std::string host;  // a name or an address (IPv6 without its brackets)
  std::uint16_t port = 80;
  std::string path_prefix;  // "" or "/a/b" (no trailing '/')

  // "http://host[:port][/prefix]".
  [[nodiscard]] static base::Result<HttpUrl> Parse(std::string_view url);
  std::string HostHeader() const;
};

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // The first header named `name` (any case), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  // For the whole request: connecting, sending and the complete response.
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_response_bytes = 64 << 20;
};

class HttpClient {
 public:
  HttpClient(HttpUrl url, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to the URL's prefix + `path` ("/v1/events").
  [[nodiscard]] base::Result<HttpResponse> Post(std::string_view path,
                                                std::span<const HttpHeader> headers,
                                                std::string_view body);

  const HttpUrl& url() const { return url_; }
  // Connections opened so far (keep-alive means few).
  std::uint64_t connections_opened() const { return connections_opened_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;

  [[nodiscard]] base::Status Connect(Deadline deadline);
  base::Status SendAll(std::string_view data, Deadline deadline);
  // Appends received bytes to in_; 0 bytes means the peer closed.
  [[nodiscard]] base::Result<std::size_t> Receive(Deadline deadline);
  base::Result<HttpResponse> ReadResponse(Deadline deadline, bool* received_any);
  [[nodiscard]] base::Result<std::size_t> ReadChunked(std::size_t at, Deadline deadline,
                                                      std::string* body);
  bool StaleConnection() const;
  void Close();

  HttpUrl url_;
  HttpClientOptions options_;
  int fd_ = -1;
  std::string in_;  // received, not yet consumed
  std::uint64_t connections_opened_ = 0;
};

}  // namespace promorec::agent
