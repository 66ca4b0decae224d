#include "promorec/agent/http_client.h"

#include "promorec/base/http1.h"
#include "promorec/base/strings.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace promorec::agent {
namespace {

std::unexpected<base::Error> Unavailable(std::string message) {
  return base::MakeError(base::Code::kUnavailable, std::move(message));
}

using base::EqualsIgnoreCase;

// Milliseconds left until `deadline` for poll(2); 0 when it has passed.
int MillisLeft(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  return static_cast<int>(std::clamp<long long>(left + 1, 0, 1 << 30));
}

base::Status WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline,
                     std::string_view what) {
  while (true) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, MillisLeft(deadline));
    if (rc > 0) return {};
    if (rc == 0) return Unavailable(std::string(what) + ": timed out");
    if (errno != EINTR) return Unavailable(std::string(what) + ": " + std::strerror(errno));
  }
}

}  // namespace

base::Result<HttpUrl> HttpUrl::Parse(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return base::InvalidArgument("URL '" + std::string(url) + "' does not start with http://");
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.path_prefix = std::string(path);
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return base::InvalidArgument("URL has an unclosed '['");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return base::InvalidArgument("bad URL host");
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return base::InvalidArgument("URL '" + std::string(url) + "' has no host");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return base::InvalidArgument("URL '" + std::string(url) + "' has a bad port");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out;
}

std::string HttpUrl::HostHeader() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

HttpClient::HttpClient(HttpUrl url, HttpClientOptions options)
    : url_(std::move(url)), options_(options) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

base::Status HttpClient::Connect(Deadline deadline) {
  const std::string where = "connect to " + url_.HostHeader();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url_.port);
  if (const int rc = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Unavailable(where + ": " + ::gai_strerror(rc));
  }
  const Deadline connect_deadline =
      std::min(deadline, std::chrono::steady_clock::now() + options_.connect_timeout);
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (auto waited = WaitFor(fd, POLLOUT, connect_deadline, where); !waited) {
        last_error = "timed out";
        ::close(fd);
        continue;
      }
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      rc = error == 0 ? 0 : -1;
      errno = error;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    ++connections_opened_;
    ::freeaddrinfo(found);
    return {};
  }
  ::freeaddrinfo(found);
  return Unavailable(where + ": " + last_error);
}

base::Status HttpClient::SendAll(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      PROMOREC_RETURN_IF_ERROR(WaitFor(fd_, POLLOUT, deadline, "send to " + url_.HostHeader()));
      continue;
    }
    return Unavailable("send to " + url_.HostHeader() + ": " + std::strerror(errno));
  }
  return {};
}

base::Result<std::size_t> HttpClient::Receive(Deadline deadline) {
  if (in_.size() > options_.max_response_bytes) {
    return base::Corruption("response from " + url_.HostHeader() + " is too large");
  }
  char buf[16384];
  while (true) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n >= 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return static_cast<std::size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      PROMOREC_RETURN_IF_ERROR(
          WaitFor(fd_, POLLIN, deadline, "response from " + url_.HostHeader()));
      continue;
    }
    return Unavailable("receive from " + url_.HostHeader() + ": " + std::strerror(errno));
  }
}

// Decodes a chunked body starting at in_[at]; returns where it ends.
base::Result<std::size_t> HttpClient::ReadChunked(std::size_t at, Deadline deadline,
                                                  std::string* body) {
  base::http1::ChunkedScanner scanner(at, {.max_body_bytes = options_.max_response_bytes});
  while (true) {
    switch (scanner.Scan(in_)) {
      case base::http1::ChunkedScanner::Outcome::kDone:
        scanner.Decode(in_, body);
        return scanner.end();
      case base::http1::ChunkedScanner::Outcome::kBad:
        return base::Corruption(scanner.message() + " from " + url_.HostHeader());
      case base::http1::ChunkedScanner::Outcome::kTooLarge:
        return base::Corruption("response body from " + url_.HostHeader() + " exceeds " +
                                std::to_string(options_.max_response_bytes) + " bytes");
      case base::http1::ChunkedScanner::Outcome::kNeedMore:
        break;
    }
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, Receive(deadline));
    if (n == 0) {
      return Unavailable("connection to " + url_.HostHeader() + " closed inside a chunked body");
    }
  }
}

base::Result<HttpResponse> HttpClient::ReadResponse(Deadline deadline, bool* received_any) {
  while (true) {
    std::size_t header_end;
    while ((header_end = in_.find("\r\n\r\n")) == std::string::npos) {
      PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, Receive(deadline));
      if (n == 0) {
        return Unavailable("connection to " + url_.HostHeader() + " closed before a response");
      }
      *received_any = true;
    }
    *received_any = true;
    HttpResponse response;
    const std::string_view head = std::string_view(in_).substr(0, header_end);
    const std::size_t first_eol = std::min(head.find("\r\n"), head.size());
    const std::string_view status_line = head.substr(0, first_eol);
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) {
      return base::Corruption("bad status line from " + url_.HostHeader());
    }
    const bool http10 = status_line[7] == '0';
    const auto [end, ec] =
        std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status);
    if (ec != std::errc() || end != status_line.data() + 12) {
      return base::Corruption("bad status code from " + url_.HostHeader());
    }
    std::size_t at = first_eol + 2;
    while (at < head.size()) {
      const std::size_t eol = std::min(head.find("\r\n", at), head.size());
      const auto field = base::http1::ParseFieldLine(head.substr(at, eol - at));
      if (!field) {
        return base::Corruption(field.error().message() + " from " + url_.HostHeader());
      }
      response.headers.push_back({std::string(field->first), std::string(field->second)});
      at = eol + 2;
    }
    std::size_t body_at = header_end + 4;
    if (response.status >= 100 && response.status < 200) {
      in_.erase(0, body_at);  // an interim answer; the real one follows
      continue;
    }
    bool keep_alive = base::http1::KeepsAlive(http10 ? 0 : 1, response.Header("connection"));
    const std::string_view length_text = response.Header("content-length");
    if (response.status == 204 || response.status == 304) {
      // No body.
    } else if (base::http1::ListsToken(response.Header("transfer-encoding"), "chunked")) {
      PROMOREC_ASSIGN_OR_RETURN(body_at, ReadChunked(body_at, deadline, &response.body));
    } else if (!length_text.empty()) {
      const std::optional<std::uint64_t> parsed = base::http1::ParseContentLength(length_text);
      if (!parsed || *parsed > options_.max_response_bytes) {
        return base::Corruption("bad Content-Length from " + url_.HostHeader());
      }
      const auto length = static_cast<std::size_t>(*parsed);
      while (in_.size() < body_at + length) {
        PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, Receive(deadline));
        if (n == 0) return Unavailable("connection to " + url_.HostHeader() + " closed early");
      }
      response.body = in_.substr(body_at, length);
      body_at += length;
    } else {
      // The body runs to the end of the connection.
      while (true) {
        PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, Receive(deadline));
        if (n == 0) break;
      }
      response.body = in_.substr(body_at);
      body_at = in_.size();
      keep_alive = false;
    }
    in_.erase(0, body_at);
    if (!keep_alive) Close();
    return response;
  }
}

bool HttpClient::StaleConnection() const {
  // A kept-alive connection the server has closed (or that holds bytes
  // nobody asked for) reads as ready.
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0 || !in_.empty();
}

base::Result<HttpResponse> HttpClient::Post(std::string_view path,
                                            std::span<const HttpHeader> headers,
                                            std::string_view body) {
  const Deadline deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  std::string request = "POST " + url_.path_prefix + std::string(path) +
                        " HTTP/1.1\r\nHost: " + url_.HostHeader() +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  for (const HttpHeader& h : headers) request += h.name + ": " + h.value + "\r\n";
  request += "\r\n";
  request.append(body);
  for (int attempt = 0;; ++attempt) {
    if (fd_ >= 0 && StaleConnection()) Close();
    const bool reused = fd_ >= 0;
    if (!reused) PROMOREC_RETURN_IF_ERROR(Connect(deadline));
    bool received_any = false;
    auto sent = SendAll(request, deadline);
    auto response = sent ? ReadResponse(deadline, &received_any)
                         : base::Result<HttpResponse>(std::unexpected(sent.error()));
    if (response) return response;
    Close();
    // The server may close a kept-alive connection just as we reuse it;
    // one fresh connection settles whether the server is really away.
    if (reused && !received_any && attempt == 0 &&
        response.error().code() == base::Code::kUnavailable &&
        std::chrono::steady_clock::now() < deadline) {
      continue;
    }
    return std::unexpected(response.error());
  }
}

}  // namespace promorec::agent
