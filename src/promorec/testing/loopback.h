// A listening TCP socket on 127.0.0.1 at a free port, for tests that stand
// in for a remote server (a webhook receiver, a log shipper's endpoint).
// Thread-safety: a function.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace promorec::testing {

struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;
};

inline LoopbackListener ListenOnLoopback(int backlog) {
  LoopbackListener listener;
  listener.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener.fd, backlog);
  socklen_t length = sizeof address;
  ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length);
  listener.port = ntohs(address.sin_port);
  return listener;
}

}  // namespace promorec::testing
