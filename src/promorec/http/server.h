// The HTTP transport: an event-driven server (libmicrohttpd, epoll, one
// polling thread per core) that hands each complete request to a route
// table. The library stays behind this header so that it can be replaced.
// Thread-safety: handlers run concurrently on the server's threads and must
// be thread-safe; Router is immutable once the server starts.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::http {

struct Request {
  std::string method;
  std::string path;
  std::string body;
  // Header names in lower case; a repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  // Decoded query arguments (?user=U&k=5).
  std::map<std::string, std::string> query;
  // Values of `{name}` segments of the matched route (/endpoints/{name}/...).
  std::map<std::string, std::string> params;
  // The client's address ("127.0.0.1"), for per-client limits.
  std::string client;

  // The header's value, or "" when absent (`name` in lower case).
  std::string_view Header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// {"error":{"code":"...","message":"..."}} with the given status.
Response ErrorResponse(int status, std::string_view code, std::string_view message);

using Handler = std::function<Response(const Request&)>;

class Router {
 public:
  // `path` is exact, or has `{name}` segments that match any one segment
  // (exact routes win over patterns).
  void Add(std::string method, std::string path, Handler handler);
  // The response for `request`: its route's, or a JSON 404/405. `route`,
  // when given, receives "METHOD PATTERN" of the route that answered, or
  // "unmatched" (a bounded set of names, fit for metric labels).
  Response Dispatch(const Request& request, std::string* route = nullptr) const;
  // "GET /healthz", ... in order, for listings.
  std::vector<std::string> Routes() const;

 private:
  // The route matching `path` for `method`, filling `params`; null if none.
  const Handler* Find(const std::string& method, const std::string& path,
                      std::map<std::string, std::string>* params) const;

  std::map<std::pair<std::string, std::string>, Handler> routes_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port
  unsigned threads = 0;       // 0 = one per core
  std::size_t max_body_bytes = 8 << 20;
  // Memory for one connection's request line and headers; a request whose
  // headers do not fit is answered 431 by the server library.
  std::size_t max_header_bytes = 32 << 10;
  // A connection idle this long (mid-request or between requests) is closed.
  unsigned idle_timeout_seconds = 60;
  // HTTPS when both are set: PEM text of the certificate (chain) and of its
  // private key.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Called after each response with its route (see Router::Dispatch), status
  // and handling time in seconds; on the server's threads.
  std::function<void(const std::string& route, int status, double seconds)> observe;
};

class Server {
 public:
  static base::Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Router router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const { return port_; }
  // Stops accepting, lets in-flight requests finish and answer (up to 30 s),
  // then closes the connections and joins the threads.
  void Stop();

 private:
  struct Impl;

  explicit Server(std::unique_ptr<Impl> impl, std::uint16_t port);

  std::unique_ptr<Impl> impl_;
  std::uint16_t port_;
};

}  // namespace promorec::http
