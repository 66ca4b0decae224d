#include "promorec/http/event_loop.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#include "promorec/base/strings.h"
#include "promorec/base/thread_name.h"

namespace promorec::http {
namespace {

constexpr std::size_t kReadBufferBytes = 64 << 10;
constexpr int kMaxEvents = 128;
// Connections taken from the listener per readiness event.
constexpr std::size_t kAcceptBatch = 64;
constexpr int kTickMillis = 200;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Answers a client has not read yet beyond which the loop stops reading and
// answering its requests, so that a client that sends without reading
// cannot make the server buffer without bound.
constexpr std::size_t kMaxPendingOut = 1 << 20;

bool Backlogged(const Connection& c) { return c.out.size() - c.out_sent > kMaxPendingOut; }

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 424:
      return "Failed Dependency";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

void AppendNumber(std::uint64_t value, std::string* out) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out->append(digits, static_cast<std::size_t>(end - digits));
}

}  // namespace

void AppendResponseBytes(const Response& response, bool head, bool close, std::string* out) {
  out->append("HTTP/1.1 ");
  AppendNumber(static_cast<std::uint64_t>(response.status), out);
  out->push_back(' ');
  out->append(Reason(response.status));
  out->append("\r\nContent-Type: ");
  out->append(response.content_type);
  bool cache_control = false;
  for (const auto& [name, value] : response.headers) {
    out->append("\r\n").append(name).append(": ").append(value);
    cache_control = cache_control || base::EqualsIgnoreCase(name, "Cache-Control");
  }
  if (response.stream) {
    if (!cache_control) out->append("\r\nCache-Control: no-store");
    out->append("\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    return;
  }
  out->append("\r\nContent-Length: ");
  AppendNumber(response.body.size(), out);
  if (close) out->append("\r\nConnection: close");
  out->append("\r\n\r\n");
  if (!head) out->append(response.body);
}

Response Execute(const Router& router, const Route* route, const Request& request,
                 const ServerOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Response response;
  try {
    response = route != nullptr ? route->handler(request) : router.Unmatched(request);
  } catch (const std::exception& e) {
    response = ErrorResponse(500, "internal", e.what());
  } catch (...) {
    response = ErrorResponse(500, "internal", "the handler failed");
  }
  if (options.observe) {
    options.observe(
        route != nullptr ? std::string_view(route->name) : kUnmatchedRoute, response.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return response;
}

WorkerPool::WorkerPool(const Router& router, const ServerOptions& options, unsigned threads)
    : router_(router), options_(options) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i)
    threads_.emplace_back([this] {
      base::SetThreadName("http-worker");
      Work();
    });
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard lock(mutex_);
    closing_ = true;
  }
  ready_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::Submit(Job job) {
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WorkerPool::Work() {
  std::string bytes;
  while (true) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return closing_ || !jobs_.empty(); });
    if (jobs_.empty()) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    Response response = Execute(router_, job.route, job.request, options_);
    const bool head = job.request.method == "HEAD";
    bytes.clear();
    AppendResponseBytes(response, head, !job.keep_alive, &bytes);
    std::shared_ptr<ResponseStream> stream = std::move(response.stream);
    if (stream && head) {  // the head is the whole answer
      stream->End();
      stream = nullptr;
      job.keep_alive = false;
    }
    job.loop->Post(job.fd, job.serial, std::move(bytes), !job.keep_alive, std::move(stream));
  }
}

EventLoop::EventLoop(int listener, const TlsContext* tls, const Router& router,
                     const ServerOptions& options)
    : listener_(listener), tls_(tls), router_(router), options_(options) {}

EventLoop::~EventLoop() {
  for (auto& c : connections_) {
    if (c) ::close(c->fd);
  }
  // Answers workers posted after the loop stopped: their streams end here.
  for (Done& d : posted_) {
    if (d.stream) d.stream->End();
  }
  if (epoll_ >= 0) ::close(epoll_);
  if (wake_ >= 0) ::close(wake_);
}

base::Status EventLoop::Init() {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) return base::ErrnoError("epoll_create1", errno);
  wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_ < 0) return base::ErrnoError("eventfd", errno);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event) != 0) {
    return base::ErrnoError("epoll_ctl", errno);
  }
  event.events = EPOLLIN | EPOLLEXCLUSIVE;
  event.data.fd = listener_;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event) != 0) {
    return base::ErrnoError("epoll_ctl", errno);
  }
  return {};
}

void EventLoop::Run() {
  std::array<epoll_event, kMaxEvents> events{};
  last_sweep_ = std::chrono::steady_clock::now();
  while (true) {
    if (stop_requested_.load(std::memory_order_acquire) && !stopping_) BeginStop();
    if (stopping_ && (open_ == 0 || std::chrono::steady_clock::now() >= deadline_)) break;
    const int n = epoll_wait(epoll_, events.data(), kMaxEvents, kTickMillis);
    for (std::size_t i = 0; i < static_cast<std::size_t>(std::max(n, 0)); ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener_) {
        if (!stopping_) Accept();
      } else if (fd == wake_) {
        std::uint64_t count = 0;
        while (::read(wake_, &count, sizeof count) > 0) {
        }
        DrainPosted();
      } else {
        OnEvent(fd, events[i].events);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_sweep_ >= std::chrono::seconds(1)) Sweep(now);
  }
  for (auto& c : connections_) {
    if (c) Close(*c);
  }
}

void EventLoop::Stop(std::chrono::steady_clock::duration drain) {
  drain_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(drain).count());
  stop_requested_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_, &one, sizeof one);
}

void EventLoop::BeginStop() {
  stopping_ = true;
  deadline_ = std::chrono::steady_clock::now() + std::chrono::nanoseconds(drain_ns_.load());
  // Connections the kernel completed before the stop are taken and judged
  // like the others: one whose request bytes already arrived is answered.
  while (Accept() == kAcceptBatch) {
  }
  epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
  for (auto& c : connections_) {
    if (c && c->stream) {
      // Streams never finish on their own: end each with what the socket
      // takes now, rather than wait on a client that may not read (it
      // resumes from the last event it got).
      c->stream->Close();
      if (Pump(*c)) Close(*c);
      continue;
    }
    if (c && c->in.empty() && !c->waiting && c->out_sent >= c->out.size() && !HasUnread(c->fd)) {
      Close(*c);
    }
  }
}

bool EventLoop::HasUnread(int fd) {
  char byte = 0;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

void EventLoop::Post(int fd, std::uint64_t serial, std::string bytes, bool close,
                     std::shared_ptr<ResponseStream> stream) {
  {
    const std::lock_guard lock(posted_mutex_);
    posted_.push_back(Done{fd, serial, std::move(bytes), close, std::move(stream)});
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_, &one, sizeof one);
}

void EventLoop::DrainPosted() {
  std::vector<Done> done;
  std::vector<StreamWake> wakes;
  {
    const std::lock_guard lock(posted_mutex_);
    done.swap(posted_);
    wakes.swap(stream_wakes_);
  }
  for (Done& d : done) {
    Connection* c = nullptr;
    if (d.fd >= 0 && static_cast<std::size_t>(d.fd) < connections_.size()) {
      c = connections_[static_cast<std::size_t>(d.fd)].get();
    }
    if (c == nullptr || c->serial != d.serial) {
      if (d.stream) d.stream->End();  // the client left before the answer
      continue;
    }
    c->waiting = false;
    c->out.append(d.bytes);
    if (d.close || stopping_) c->closing = true;
    if (d.stream) {
      BeginStream(*c, std::move(d.stream), false);
      Pump(*c);
      continue;
    }
    if (!Flush(*c)) continue;
    Watch(*c, c->want_write);
    if (!c->in.empty()) Process(*c, c->in);
  }
  for (const StreamWake& w : wakes) {
    if (w.fd < 0 || static_cast<std::size_t>(w.fd) >= connections_.size()) continue;
    Connection* c = connections_[static_cast<std::size_t>(w.fd)].get();
    if (c == nullptr || c->serial != w.serial || !c->stream) continue;
    Pump(*c);
  }
}

std::size_t EventLoop::Accept() {
  std::size_t taken = 0;
  for (; taken < kAcceptBatch; ++taken) {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    const int fd = accept4(listener_, reinterpret_cast<sockaddr*>(&address), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: stop polling the listener until the
        // next sweep rather than spin on a connection that cannot be taken.
        epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
        accept_paused_ = true;
      }
      return taken;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(
        ParseLimits{options_.max_header_bytes, options_.max_body_bytes});
    c->fd = fd;
    c->serial = next_serial_++;
    c->last_active = std::chrono::steady_clock::now();
    char text[INET_ADDRSTRLEN] = {};
    if (address.sin_family == AF_INET &&
        inet_ntop(AF_INET, &address.sin_addr, text, sizeof text) != nullptr) {
      c->client = text;
    }
    if (tls_ != nullptr && !(c->tls = tls_->Accept(fd))) {
      ::close(fd);
      continue;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      continue;
    }
    if (static_cast<std::size_t>(fd) >= connections_.size()) {
      connections_.resize(static_cast<std::size_t>(fd) + 1);
    }
    connections_[static_cast<std::size_t>(fd)] = std::move(c);
    ++open_;
  }
  return taken;
}

void EventLoop::OnEvent(int fd, std::uint32_t events) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= connections_.size()) return;
  Connection* c = connections_[static_cast<std::size_t>(fd)].get();
  if (c == nullptr) return;
  if ((events & EPOLLERR) != 0) {
    Close(*c);
    return;
  }
  if ((events & EPOLLOUT) != 0) {
    if (!(c->stream ? Pump(*c) : Flush(*c))) return;
    // Requests held back while the client was not reading its answers.
    if (!Backlogged(*c) && !c->waiting && !c->closing && !c->in.empty()) {
      if (!Process(*c, c->in)) return;
    }
    if (c->tls_wants_write) {
      c->tls_wants_write = false;
      Read(*c);
      return;
    }
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) != 0 && !c->waiting) Read(*c);
}

void EventLoop::Read(Connection& c) {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferBytes]);
  while (true) {
    ssize_t got = 0;
    if (c.tls) {
      TlsWait wait = TlsWait::kNone;
      got = c.tls->Read(buffer.get(), kReadBufferBytes, &wait);
      if (got < 0 && wait == TlsWait::kRead) return;
      if (got < 0 && wait == TlsWait::kWrite) {
        c.tls_wants_write = true;
        Watch(c, true);
        return;
      }
    } else {
      got = ::read(c.fd, buffer.get(), kReadBufferBytes);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && errno == EAGAIN) return;
    }
    if (got <= 0) {
      Close(c);
      return;
    }
    if (c.stream) {  // nothing follows a stream: drop what the client sends
      if (!c.tls && static_cast<std::size_t>(got) < kReadBufferBytes) return;
      continue;
    }
    c.last_active = std::chrono::steady_clock::now();
    const std::string_view fresh(buffer.get(), static_cast<std::size_t>(got));
    bool open = false;
    if (c.in.empty()) {
      open = Process(c, fresh);
    } else {
      c.in.append(fresh);
      open = Process(c, c.in);
    }
    if (!open || c.waiting || c.closing) return;
    if (Backlogged(c)) {  // read no more until the client takes its answers
      Watch(c, true);
      return;
    }
    if (!c.tls && static_cast<std::size_t>(got) < kReadBufferBytes) return;
  }
}

bool EventLoop::AnswerSome(Connection& c, std::string_view data) {
  const bool from_in = data.data() == c.in.data();
  std::size_t at = 0;
  while (at < data.size() && !c.closing && !c.waiting && !Backlogged(c)) {
    const ParseResult parsed = c.parser.Parse(data.substr(at), &c.request);
    if (parsed.state == ParseResult::State::kIncomplete) {
      if (parsed.send_continue) c.out.append(kContinue);
      break;
    }
    if (parsed.state == ParseResult::State::kError) {
      const Response error = ErrorResponse(parsed.status, parsed.code, parsed.message);
      if (options_.observe) options_.observe(kUnmatchedRoute, error.status, 0.0);
      AppendResponseBytes(error, false, true, &c.out);
      c.closing = true;
      at = data.size();
      break;
    }
    at += parsed.consumed;
    c.request.client = c.client;
    const bool close = !parsed.keep_alive || stopping_;
    const Route* route = router_.Match(&c.request);
    if (route != nullptr && route->execution == Execution::kWorker && workers_ != nullptr) {
      c.waiting = true;
      if (close) c.closing = true;
      workers_->Submit(WorkerPool::Job{this, c.fd, c.serial, !close, route, std::move(c.request)});
      c.request = Request{};
      Watch(c, c.want_write);
      break;
    }
    Response response = Execute(router_, route, c.request, options_);
    const bool head = c.request.method == "HEAD";
    AppendResponseBytes(response, head, close, &c.out);
    if (response.stream) {
      BeginStream(c, std::move(response.stream), head);
      break;
    }
    if (close) c.closing = true;
  }
  if ((c.closing && !c.waiting) || c.stream) {
    c.in.clear();
  } else if (from_in) {
    c.in.erase(0, at);
  } else {
    c.in.assign(data.substr(at));
  }
  return !c.in.empty() && !c.closing && !c.waiting && Backlogged(c);
}

bool EventLoop::Process(Connection& c, std::string_view data) {
  while (true) {
    const bool held_back = AnswerSome(c, data);
    if (c.stream) return Pump(c);
    if (!Flush(c)) return false;
    // The answers went out at once: go on with the requests held back.
    if (!held_back || Backlogged(c)) return true;
    data = c.in;
  }
}

bool EventLoop::Flush(Connection& c) {
  while (c.out_sent < c.out.size()) {
    const char* data = c.out.data() + c.out_sent;
    const std::size_t size = c.out.size() - c.out_sent;
    ssize_t put = 0;
    if (c.tls) {
      TlsWait wait = TlsWait::kNone;
      put = c.tls->Write(data, size, &wait);
      if (put < 0 && (wait == TlsWait::kWrite || wait == TlsWait::kRead)) {
        if (!c.want_write) Watch(c, true);
        return true;
      }
    } else {
      put = ::send(c.fd, data, size, MSG_NOSIGNAL);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0 && errno == EAGAIN) {
        if (!c.want_write) Watch(c, true);
        return true;
      }
    }
    if (put <= 0) {
      Close(c);
      return false;
    }
    c.out_sent += static_cast<std::size_t>(put);
    c.last_active = std::chrono::steady_clock::now();
  }
  c.out.clear();
  c.out_sent = 0;
  if (c.want_write) Watch(c, false);
  if (c.closing && !c.waiting && !c.stream) {
    Close(c);
    return false;
  }
  return true;
}

void EventLoop::Watch(Connection& c, bool write) {
  epoll_event event{};
  // A stream's connection is always read, to notice the client leave.
  const bool read = c.stream || !(c.waiting || Backlogged(c));
  event.events = (read ? static_cast<std::uint32_t>(EPOLLIN) : 0u) |
                 (write ? static_cast<std::uint32_t>(EPOLLOUT) : 0u);
  event.data.fd = c.fd;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
  c.want_write = write;
}

void EventLoop::Close(Connection& c) {
  if (c.stream) EndStream(c);
  const int fd = c.fd;
  ::close(fd);
  connections_[static_cast<std::size_t>(fd)].reset();
  --open_;
}

void EventLoop::Sweep(std::chrono::steady_clock::time_point now) {
  last_sweep_ = now;
  if (accept_paused_ && !stopping_) {
    epoll_event event{};
    event.events = EPOLLIN | EPOLLEXCLUSIVE;
    event.data.fd = listener_;
    accept_paused_ = epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event) != 0;
  }
  const auto idle = std::chrono::seconds(options_.idle_timeout_seconds);
  for (auto& slot : connections_) {
    Connection* c = slot.get();
    if (c != nullptr && c->stream) {  // a stream is never idle; it may be quiet
      if (c->stream->Heartbeat(now)) Pump(*c);
      continue;
    }
    if (c == nullptr || c->waiting || now - c->last_active < idle) continue;
    if (!c->in.empty() && c->out.empty()) {
      AppendResponseBytes(ErrorResponse(408, "request_timeout",
                                        "no complete request within " +
                                            std::to_string(options_.idle_timeout_seconds) + " s"),
                          false, true, &c->out);
      c->closing = true;
      c->in.clear();
      Flush(*c);
    } else {
      Close(*c);
    }
  }
}

}  // namespace promorec::http
