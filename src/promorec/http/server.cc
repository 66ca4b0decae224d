#include "promorec/http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <thread>

#include "promorec/base/json_string.h"

namespace promorec::http {
namespace {

// Per-connection request state while the body arrives.
struct PendingRequest {
  Request request;
  bool too_large = false;
};

}  // namespace

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  Response response;
  response.status = status;
  response.body = "{\"error\":{\"code\":";
  base::AppendJsonString(code, &response.body);
  response.body += ",\"message\":";
  base::AppendJsonString(message, &response.body);
  response.body += "}}\n";
  return response;
}

void Router::Add(std::string method, std::string path, Handler handler) {
  routes_[{std::move(method), std::move(path)}] = std::move(handler);
}

namespace {

// Whether `path` fits `pattern` segment by segment ({name} fits any one
// non-empty segment); fills `params` when it does.
bool Matches(std::string_view pattern, std::string_view path,
             std::map<std::string, std::string>* params) {
  std::map<std::string, std::string> found;
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern[0] != '/' || path[0] != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    const std::size_t p_end = std::min(pattern.find('/'), pattern.size());
    const std::size_t s_end = std::min(path.find('/'), path.size());
    const std::string_view want = pattern.substr(0, p_end);
    const std::string_view got = path.substr(0, s_end);
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      if (got.empty()) return false;
      found[std::string(want.substr(1, want.size() - 2))] = std::string(got);
    } else if (want != got) {
      return false;
    }
    pattern.remove_prefix(p_end);
    path.remove_prefix(s_end);
  }
  *params = std::move(found);
  return true;
}

}  // namespace

const Handler* Router::Find(const std::string& method, const std::string& path,
                            std::map<std::string, std::string>* params) const {
  if (auto it = routes_.find({method, path}); it != routes_.end()) return &it->second;
  for (const auto& [key, handler] : routes_) {
    if (key.first == method && key.second.find('{') != std::string::npos &&
        Matches(key.second, path, params)) {
      return &handler;
    }
  }
  return nullptr;
}

Response Router::Dispatch(const Request& request, std::string* route) const {
  std::map<std::string, std::string> params;
  if (const Handler* handler = Find(request.method, request.path, &params)) {
    if (route != nullptr) {
      for (const auto& [key, h] : routes_) {
        if (&h == handler) *route = key.first + " " + key.second;
      }
    }
    if (params.empty()) return (*handler)(request);
    Request with = request;
    with.params = std::move(params);
    return (*handler)(with);
  }
  if (route != nullptr) *route = "unmatched";
  for (const auto& [key, handler] : routes_) {
    if (key.second == request.path || Matches(key.second, request.path, &params)) {
      return ErrorResponse(405, "method_not_allowed",
                           request.method + " is not allowed on " + request.path);
    }
  }
  return ErrorResponse(404, "not_found", "no route " + request.method + " " + request.path);
}

std::vector<std::string> Router::Routes() const {
  std::vector<std::string> out;
  for (const auto& [key, handler] : routes_) out.push_back(key.first + " " + key.second);
  return out;
}

struct Server::Impl {
  Router router;
  ServerOptions options;
  MHD_Daemon* daemon = nullptr;
  // Requests between their first byte and the end of their response.
  std::atomic<int> in_flight{0};

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url,
                           const char* method, const char* /*version*/, const char* upload_data,
                           size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    auto* pending = static_cast<PendingRequest*>(*con_cls);
    if (pending == nullptr) {
      pending = new PendingRequest;
      self->in_flight.fetch_add(1);
      pending->request.method = method;
      pending->request.path = url;
      MHD_get_connection_values(connection, MHD_HEADER_KIND, &Impl::CollectHeader,
                                &pending->request.headers);
      MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &Impl::CollectArgument,
                                &pending->request.query);
      if (const MHD_ConnectionInfo* info =
              MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
          info != nullptr && info->client_addr != nullptr &&
          info->client_addr->sa_family == AF_INET) {
        char text[INET_ADDRSTRLEN] = {};
        const auto* in = reinterpret_cast<const sockaddr_in*>(info->client_addr);
        if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) {
          pending->request.client = text;
        }
      }
      *con_cls = pending;
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (pending->request.body.size() + *upload_data_size > self->options.max_body_bytes) {
        pending->too_large = true;
      } else {
        pending->request.body.append(upload_data, *upload_data_size);
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    Response response;
    std::string route = "unmatched";
    const auto started = std::chrono::steady_clock::now();
    try {
      response = pending->too_large
                     ? ErrorResponse(413, "body_too_large",
                                     "request body exceeds " +
                                         std::to_string(self->options.max_body_bytes) + " bytes")
                     : self->router.Dispatch(pending->request, &route);
    } catch (const std::exception& e) {
      response = ErrorResponse(500, "internal", e.what());
    }
    if (self->options.observe) {
      self->options.observe(
          route, response.status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    MHD_Response* reply = MHD_create_response_from_buffer(
        response.body.size(), response.body.data(), MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(reply, "Content-Type", response.content_type.c_str());
    for (const auto& [name, value] : response.headers) {
      MHD_add_response_header(reply, name.c_str(), value.c_str());
    }
    const MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
    MHD_destroy_response(reply);
    return queued;
  }

  static MHD_Result CollectHeader(void* cls, MHD_ValueKind /*kind*/, const char* key,
                                  const char* value) {
    std::string name(key);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    (*static_cast<std::map<std::string, std::string>*>(cls))[name] = value ? value : "";
    return MHD_YES;
  }

  static MHD_Result CollectArgument(void* cls, MHD_ValueKind /*kind*/, const char* key,
                                    const char* value) {
    (*static_cast<std::map<std::string, std::string>*>(cls))[key] = value ? value : "";
    return MHD_YES;
  }

  static void Completed(void* cls, MHD_Connection* /*connection*/, void** con_cls,
                        MHD_RequestTerminationCode /*code*/) {
    if (*con_cls != nullptr) static_cast<Impl*>(cls)->in_flight.fetch_sub(1);
    delete static_cast<PendingRequest*>(*con_cls);
    *con_cls = nullptr;
  }
};

Server::Server(std::unique_ptr<Impl> impl, std::uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

Server::~Server() { Stop(); }

base::Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Router router) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1) {
    return base::InvalidArgument("listen address '" + options.host + "' is not an IPv4 address");
  }
  auto impl = std::make_unique<Impl>();
  impl->router = std::move(router);
  impl->options = options;
  const unsigned threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const bool tls = !options.tls_cert_pem.empty() && !options.tls_key_pem.empty();
  // The callback goes through MHD's intptr_t option slot, as its API asks.
  MHD_RequestCompletedCallback completed = &Impl::Completed;
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_SOCK_ADDR, 0, &address},
      {MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(threads), nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(completed), impl.get()},
      {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(options.idle_timeout_seconds), nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(options.max_header_bytes),
       nullptr}};
  if (tls) {
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(options.tls_key_pem.c_str())});
    items.push_back(
        {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(options.tls_cert_pem.c_str())});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  impl->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                      MHD_USE_ERROR_LOG | MHD_USE_ITC | (tls ? MHD_USE_TLS : 0),
                                  options.port, nullptr, nullptr, &Impl::Access, impl.get(),
                                  MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    if (tls) {
      return base::MakeError(base::Code::kUnavailable,
                             "cannot start HTTPS on " + options.host + ":" +
                                 std::to_string(options.port) +
                                 " (is the port in use, or the certificate or key not valid PEM?)");
    }
    return base::MakeError(base::Code::kUnavailable, "cannot listen on " + options.host + ":" +
                                                         std::to_string(options.port) +
                                                         " (is the port in use, or not allowed?)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  const std::uint16_t port = info != nullptr ? info->port : options.port;
  return std::unique_ptr<Server>(new Server(std::move(impl), port));
}

void Server::Stop() {
  if (impl_ && impl_->daemon != nullptr) {
    // Stop accepting, then let requests in flight finish and answer (for at
    // most kDrainTimeout) before the threads and connections go.
    const MHD_socket listener = MHD_quiesce_daemon(impl_->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
    constexpr auto kDrainTimeout = std::chrono::seconds(30);
    const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
    while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    MHD_stop_daemon(impl_->daemon);
    impl_->daemon = nullptr;
  }
}

}  // namespace promorec::http
