// The server's inside: an epoll event loop that accepts, reads, parses and
// answers its connections, and the pool of worker threads that runs
// Execution::kWorker routes and hands their answers back to the loop that
// owns the connection. Only the server's own files use this header.
// Thread-safety: each EventLoop runs on its own thread; Post, Stop and the
// WorkerPool may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "promorec/http/request_parser.h"
#include "promorec/http/server.h"
#include "promorec/http/tls.h"

namespace promorec::http {

class EventLoop;

// Serialises `response` as HTTP/1.1 onto `out` (no body for HEAD). For a
// streamed response, only the head: chunked, and always `close`.
void AppendResponseBytes(const Response& response, bool head, bool close, std::string* out);

// Runs the route (or the 404/405) with exceptions caught and the observe
// hook called.
Response Execute(const Router& router, const Route* route, const Request& request,
                 const ServerOptions& options);

class WorkerPool {
 public:
  struct Job {
    EventLoop* loop;
    int fd;
    std::uint64_t serial;
    bool keep_alive;
    const Route* route;
    Request request;
  };

  WorkerPool(const Router& router, const ServerOptions& options, unsigned threads);
  ~WorkerPool();  // finishes the queued jobs, then joins

  void Submit(Job job);

 private:
  void Work();

  const Router& router_;
  const ServerOptions& options_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

struct Connection {
  int fd = -1;
  std::uint64_t serial = 0;
  std::unique_ptr<TlsSession> tls;
  std::string client;
  std::string in;  // received, not yet part of an answered request
  std::string out;
  std::size_t out_sent = 0;
  RequestParser parser;
  Request request;
  bool waiting = false;  // a worker has its request
  bool closing = false;  // close once `out` is sent
  bool want_write = false;
  bool tls_wants_write = false;
  std::chrono::steady_clock::time_point last_active;
  // The streamed answer being sent; the connection serves nothing else
  // and closes when it ends.
  std::shared_ptr<ResponseStream> stream;

  explicit Connection(ParseLimits limits) : parser(limits) {}
};

class EventLoop {
 public:
  EventLoop(int listener, const TlsContext* tls, const Router& router,
            const ServerOptions& options);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  [[nodiscard]] base::Status Init();
  void Run();  // until Stop and every connection has finished
  // Stops accepting; busy connections finish their request, idle ones
  // close; after `drain` the rest close too.
  void Stop(std::chrono::steady_clock::duration drain);
  // A worker's answer for the connection `fd` (ignored if that connection
  // has gone since; a `stream` then ends at once).
  void Post(int fd, std::uint64_t serial, std::string bytes, bool close,
            std::shared_ptr<ResponseStream> stream = nullptr);

  void set_workers(WorkerPool* workers) { workers_ = workers; }

 private:
  struct Done {
    int fd;
    std::uint64_t serial;
    std::string bytes;
    bool close;
    std::shared_ptr<ResponseStream> stream;
  };
  struct StreamWake {
    int fd;
    std::uint64_t serial;
  };

  // Takes up to kAcceptBatch waiting connections; returns how many it tried.
  std::size_t Accept();
  void OnEvent(int fd, std::uint32_t events);
  void Read(Connection& c);
  // Answers the complete requests in `data` (c.in itself, or fresh bytes
  // when c.in was empty) and keeps the unanswered rest in c.in; false when
  // the connection was closed.
  bool Process(Connection& c, std::string_view data);
  // The parsing and answering part of Process; true when it stopped with
  // complete requests left because the client has too many unread answers.
  bool AnswerSome(Connection& c, std::string_view data);
  bool Flush(Connection& c);  // false when the connection was closed
  void Close(Connection& c);
  void Sweep(std::chrono::steady_clock::time_point now);
  void DrainPosted();
  // Called by a ResponseStream (under its lock) when it has bytes or a
  // close for the connection; any thread.
  void WakeStream(int fd, std::uint64_t serial);
  // The handler answered with a stream, whose head is in c.out: the
  // connection now sends it.
  void BeginStream(Connection& c, std::shared_ptr<ResponseStream> stream, bool head);
  // Moves the stream's bytes to c.out when the client has taken most of
  // what was there, and sends; false when the connection was closed.
  bool Pump(Connection& c);
  // Detaches the stream and ends it (its OnClose callback runs here).
  static void EndStream(Connection& c);
  void BeginStop();
  // Whether bytes from the client wait in the socket, not yet read.
  static bool HasUnread(int fd);
  void Watch(Connection& c, bool write);

  int listener_;
  const TlsContext* tls_;
  const Router& router_;
  const ServerOptions& options_;
  WorkerPool* workers_ = nullptr;
  int epoll_ = -1;
  int wake_ = -1;
  std::vector<std::unique_ptr<Connection>> connections_;  // by fd
  std::size_t open_ = 0;
  std::uint64_t next_serial_ = 1;
  std::mutex posted_mutex_;
  std::vector<Done> posted_;
  std::vector<StreamWake> stream_wakes_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::int64_t> drain_ns_{0};
  bool stopping_ = false;
  bool accept_paused_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point last_sweep_;
};

}  // namespace promorec::http
