// The speed-of-light reference for the HTTP benchmarks: one thread, one
// epoll loop, keep-alive, no routing and no parsing beyond finding the end
// of each request (headers and a Content-Length body), answering every
// request with the same small JSON. Whatever promorec's server does above
// this is its cost. Usage: raw_epoll_server PORT (prints "listening PORT").
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

constexpr char kReply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
    "{\"status\":\"ok\"}\n";

// Bytes of the first complete request in `in`, or 0 when incomplete.
std::size_t RequestLength(const std::string& in) {
  const std::size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  std::size_t body = 0;
  for (const char* name : {"Content-Length:", "content-length:"}) {
    const std::size_t at = in.find(name);
    if (at != std::string::npos && at < end) body = std::strtoul(in.c_str() + at + 15, nullptr, 10);
  }
  return in.size() >= end + 4 + body ? end + 4 + body : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 8090;
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 1024) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  const int epoll = epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  std::unordered_map<int, std::string> pending;
  epoll_event events[256];
  char buf[65536];
  while (true) {
    const int n = epoll_wait(epoll, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        int client = 0;
        while ((client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = client;
          epoll_ctl(epoll, EPOLL_CTL_ADD, client, &e);
        }
        continue;
      }
      std::string& in = pending[fd];
      ssize_t got = 0;
      while ((got = read(fd, buf, sizeof buf)) > 0) in.append(buf, static_cast<std::size_t>(got));
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        close(fd);
        pending.erase(fd);
        continue;
      }
      std::string out;
      std::size_t length = 0;
      while ((length = RequestLength(in)) > 0) {
        in.erase(0, length);
        out += kReply;
      }
      if (!out.empty() && write(fd, out.data(), out.size()) < 0) {
        close(fd);
        pending.erase(fd);
      }
    }
  }
}
