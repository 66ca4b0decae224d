// The HTTP transport: an HTTP/1.1 server with one epoll event loop per core
// (keep-alive, pipelining, idle connections cost no thread) that hands each
// complete request to a route table. Quick routes run on the loop that read
// them; routes that wait (for an fsync, say) run on a pool of worker
// threads, so that the loop goes on serving other connections meanwhile and
// waiting requests share the wait. TLS is OpenSSL's. Everything about the
// transport stays behind this header.
// A handler may also answer with a stream (Response::stream): the server
// sends the head, then whatever the producer writes, as it is written,
// until either side ends it (live push over Server-Sent Events).
// Thread-safety: handlers run concurrently on the server's threads and must
// be thread-safe; Router is immutable once the server starts; a
// ResponseStream may be written and closed from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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

class EventLoop;
class WorkerPool;

// The body of a streamed response, written by a producer on any thread
// while the server sends it. The server answers with the response's status,
// Content-Type and headers, `Cache-Control: no-store` (unless the handler
// set a Cache-Control), `Transfer-Encoding: chunked` and `Connection:
// close`; each Write becomes one chunk, so a client tells a stream the
// server ended (the last, empty chunk) from a cut connection, and HTTP/1.1
// intermediaries need no Content-Length. The connection carries nothing
// after the stream: bytes the client sends meanwhile are read (to notice a
// hang-up) and dropped, and the connection closes when the stream ends.
//
// Writes never block: each is copied into a bounded buffer that the
// connection's event loop drains as the client reads. A client that does
// not read fills it, and then Write refuses (returns false) instead of
// waiting; the producer decides what that means (live push disconnects the
// subscriber, whose client resumes). Idle timeouts do not apply to a
// stream; a heartbeat, when set, is written whenever nothing else was for
// that long (it keeps proxies from timing the connection out and finds
// clients that vanished without a FIN).
//
// The stream ends when the producer calls Close (after the buffered bytes
// go out), when the client hangs up, when the server stops (it sends what
// the socket takes at once, then the last chunk), or when the connection
// had gone before the handler answered. Then closed() turns true, Write
// refuses, and the OnClose callback runs once, on a server thread.
// Thread-safety: every member may be called from any thread.
class ResponseStream {
 public:
  struct Options {
    // Bytes written and not yet taken by the connection, chunk framing
    // included, beyond which Write refuses.
    std::size_t max_buffered_bytes = 256 << 10;
    // Written (as one chunk) when nothing was for `heartbeat_interval`;
    // none when empty or the interval is zero. Checked about once a second.
    std::string heartbeat;
    std::chrono::milliseconds heartbeat_interval{0};
  };

  ResponseStream() : ResponseStream(Options{}) {}
  explicit ResponseStream(Options options);
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Copies `data` as one chunk (an empty `data` is a no-op) and wakes the
  // connection's loop. False, having written nothing, when the buffer
  // cannot take it or the stream has ended or is closing.
  [[nodiscard]] bool Write(std::string_view data);
  // Write that leaves the wake-up to a later Wake (or Write): a producer
  // with a batch wakes the connection's loop once for all of it.
  [[nodiscard]] bool WriteDeferred(std::string_view data);
  // Wakes the connection's loop for bytes written with WriteDeferred.
  void Wake();
  // Ends the stream once the bytes written so far are sent. Idempotent.
  void Close();
  // Whether the stream has ended or Close was called: Write refuses.
  bool closed() const;
  // `callback` runs once when the stream has ended (any of the ways
  // above), on a server thread, or at once on this thread when it already
  // has. Not called from inside Write or Close, so it may take locks that
  // the caller of those holds. Replaces an earlier callback.
  void OnClose(std::function<void()> callback);

 private:
  friend class EventLoop;
  friend class WorkerPool;
  using TimePoint = std::chrono::steady_clock::time_point;

  // The event loop's side. Attach: the connection that sends the stream;
  // `wake` is called (under the stream's lock) when bytes or the close
  // wait and the loop has not been woken for them yet.
  void Attach(std::function<void()> wake);
  // Appends the buffered bytes to `out`; true when the stream is closing
  // and everything was taken (the caller then ends the response).
  bool TakeInto(std::string* out);
  // Writes the heartbeat when it is due at `now`; true if it wrote.
  bool Heartbeat(TimePoint now);
  // The stream has ended: refuses writes from now on and runs the
  // callback (on the calling thread, outside the lock).
  void End();
  bool WriteLocked(std::string_view data);
  void WakeLocked();

  const Options options_;
  mutable std::mutex mutex_;
  std::string buffer_;  // chunk-framed bytes not yet taken
  std::function<void()> wake_;
  std::function<void()> on_close_;
  TimePoint last_write_;
  bool wake_pending_ = false;
  bool closing_ = false;
  bool ended_ = false;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};
  // When set, the answer is this stream and `body` is ignored.
  std::shared_ptr<ResponseStream> stream = nullptr;
};

// {"error":{"code":"...","message":"..."}} with the given status.
Response ErrorResponse(int status, std::string_view code, std::string_view message);

using Handler = std::function<Response(const Request&)>;

// Where a route's handler runs: on the event loop (it must not block), or
// on a worker thread (it may wait, e.g. for its data to become durable).
enum class Execution { kLoop, kWorker };

struct Route {
  // "METHOD PATTERN": a bounded set of names, fit for metric labels.
  std::string name;
  Handler handler;
  Execution execution = Execution::kLoop;
};

class Router {
 public:
  // `path` is exact, or has `{name}` segments that match any one segment
  // (exact routes win over patterns).
  void Add(std::string method, std::string path, Handler handler,
           Execution execution = Execution::kLoop);
  // The response for `request`: its route's, or a JSON 404/405. `route`,
  // when given, receives the name of the route that answered, or
  // "unmatched".
  Response Dispatch(const Request& request, std::string* route = nullptr) const;
  // The route for `request`, with its `{name}` values put in
  // request->params; null if none.
  const Route* Match(Request* request) const;
  // The 404 or 405 for a request no route matches.
  Response Unmatched(const Request& request) const;
  // "GET /healthz", ... in order, for listings.
  std::vector<std::string> Routes() const;

 private:
  std::map<std::string, Route, std::less<>> routes_;  // by name
};

// The name the server reports for requests no route matched.
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port
  unsigned threads = 0;       // event loops; 0 = one per core it may run on
  unsigned workers = 16;      // threads for Execution::kWorker routes
  std::size_t max_body_bytes = 8 << 20;
  // Bytes of one request's line and headers; a request whose headers do
  // not fit is answered 431.
  std::size_t max_header_bytes = 32 << 10;
  // A connection idle this long is closed (answered 408 first when it is
  // part-way through a request).
  unsigned idle_timeout_seconds = 60;
  // HTTPS when both are set: PEM text of the certificate (chain) and of its
  // private key.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Called after each response with its route name (or kUnmatchedRoute),
  // status and handling time in seconds; on the server's threads.
  std::function<void(std::string_view route, int status, double seconds)> observe;
};

class Server {
 public:
  [[nodiscard]] static base::Result<std::unique_ptr<Server>> Start(const ServerOptions& options,
                                                                   Router router);
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
