// The event loop's side of streamed responses (Response::stream): a
// connection that sends a stream, the wake-ups its producer posts, and the
// pacing that leaves a slow client's backlog in the stream's bounded buffer.
#include <unistd.h>

#include "promorec/http/event_loop.h"

namespace promorec::http {
namespace {

// A stream's bytes move to the connection's output only while less than
// this waits there unsent, so that a client that does not read leaves
// them in the stream's bounded buffer, where Write sees it is full.
constexpr std::size_t kStreamLowWater = 64 << 10;
constexpr std::string_view kLastChunk = "0\r\n\r\n";
// Rounds of taking from a stream and sending that one event may do.
constexpr int kStreamPumpPasses = 8;

}  // namespace

void EventLoop::WakeStream(int fd, std::uint64_t serial) {
  bool first = false;
  {
    const std::lock_guard lock(posted_mutex_);
    first = posted_.empty() && stream_wakes_.empty();
    stream_wakes_.push_back(StreamWake{fd, serial});
  }
  // One wake-up per batch: the loop drains everything posted when it runs.
  if (first) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(wake_, &one, sizeof one);
  }
}

void EventLoop::BeginStream(Connection& c, std::shared_ptr<ResponseStream> stream, bool head) {
  c.in.clear();
  c.closing = true;  // once the stream has ended
  if (head || stopping_) {
    if (!head) c.out.append(kLastChunk);
    stream->End();
    return;
  }
  c.stream = std::move(stream);
  c.stream->Attach([this, fd = c.fd, serial = c.serial] { WakeStream(fd, serial); });
  Watch(c, c.want_write);
}

bool EventLoop::Pump(Connection& c) {
  // The stream's wake-up is spent once it has been woken: whenever its
  // bytes are left there, this must come back for them by itself (when the
  // socket takes c.out, or on the next pass below, or through a wake-up
  // it posts), or they would wait for the next write.
  if (!c.stream) return Flush(c);
  for (int pass = 0; pass < kStreamPumpPasses; ++pass) {
    const bool room = c.out.size() - c.out_sent < kStreamLowWater;
    std::size_t took = 0;
    if (room) {
      const std::size_t before = c.out.size();
      if (c.stream->TakeInto(&c.out)) {
        c.out.append(kLastChunk);
        EndStream(c);
      }
      took = c.out.size() - before;
    }
    if (!Flush(c)) return false;
    // Waiting for the socket (EPOLLOUT comes back here), or ended, or the
    // stream had nothing more.
    if (!c.stream || !c.out.empty() || (room && took == 0)) return true;
  }
  // A producer as fast as the socket: let the loop serve others first.
  WakeStream(c.fd, c.serial);
  return true;
}

void EventLoop::EndStream(Connection& c) {
  const std::shared_ptr<ResponseStream> stream = std::move(c.stream);
  c.stream = nullptr;
  stream->End();
}

}  // namespace promorec::http
