#include "promorec/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "promorec/base/thread_name.h"
#include "promorec/http/event_loop.h"

namespace promorec::http {
namespace {

constexpr auto kDrainTimeout = std::chrono::seconds(30);

// Cores this process may run on (taskset and cgroup cpusets count).
unsigned UsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

base::Result<int> Listen(const ServerOptions& options) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1) {
    return base::InvalidArgument("listen address '" + options.host + "' is not an IPv4 address");
  }
  const std::string where = options.host + ":" + std::to_string(options.port);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return base::ErrnoError("socket for " + where, errno);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 4096) != 0) {
    const int err = errno;
    ::close(fd);
    return base::MakeError(base::Code::kUnavailable, "cannot listen on " + where + ": " +
                                                         std::strerror(err) +
                                                         " (is the port in use, or not allowed?)");
  }
  return fd;
}

}  // namespace

struct Server::Impl {
  Router router;
  ServerOptions options;
  int listener = -1;
  std::unique_ptr<TlsContext> tls;
  std::vector<std::unique_ptr<EventLoop>> loops;
  std::unique_ptr<WorkerPool> workers;
  std::vector<std::thread> threads;

  ~Impl() {
    if (listener >= 0) ::close(listener);
  }
};

Server::Server(std::unique_ptr<Impl> impl, std::uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

Server::~Server() { Stop(); }

base::Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Router router) {
  auto impl = std::make_unique<Impl>();
  impl->router = std::move(router);
  impl->options = options;
  if (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty()) {
    auto tls = TlsContext::FromPem(options.tls_cert_pem, options.tls_key_pem);
    if (!tls) return std::unexpected(tls.error());
    impl->tls = std::move(*tls);
  }
  auto listener = Listen(options);
  if (!listener) return std::unexpected(listener.error());
  impl->listener = *listener;
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  getsockname(impl->listener, reinterpret_cast<sockaddr*>(&bound), &length);
  const unsigned loops = options.threads > 0 ? options.threads : UsableCores();
  for (unsigned i = 0; i < loops; ++i) {
    auto loop =
        std::make_unique<EventLoop>(impl->listener, impl->tls.get(), impl->router, impl->options);
    PROMOREC_RETURN_IF_ERROR(loop->Init());
    impl->loops.push_back(std::move(loop));
  }
  impl->workers = std::make_unique<WorkerPool>(impl->router, impl->options, options.workers);
  for (auto& loop : impl->loops) {
    loop->set_workers(impl->workers.get());
    impl->threads.emplace_back([loop = loop.get()] {
      base::SetThreadName("http-loop");
      loop->Run();
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl), ntohs(bound.sin_port)));
}

void Server::Stop() {
  if (!impl_ || impl_->threads.empty()) return;
  // Stop accepting, then let requests in flight finish and answer (for at
  // most kDrainTimeout) before the connections close.
  for (auto& loop : impl_->loops) loop->Stop(kDrainTimeout);
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->workers.reset();
  impl_->loops.clear();
  ::close(impl_->listener);
  impl_->listener = -1;
}

}  // namespace promorec::http
