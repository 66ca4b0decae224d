#include <algorithm>

#include "promorec/base/json_string.h"
#include "promorec/http/server.h"

namespace promorec::http {

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  Response response;
  response.status = status;
  response.body = base::ErrorJson(code, message);
  return response;
}

void Router::Add(std::string method, std::string path, Handler handler, Execution execution) {
  std::string name = method + " " + path;
  routes_[name] = Route{name, std::move(handler), execution};
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

// The route name "METHOD PATH" pieces split back apart.
std::pair<std::string_view, std::string_view> Split(std::string_view name) {
  const std::size_t space = name.find(' ');
  return {name.substr(0, space), name.substr(space + 1)};
}

}  // namespace

const Route* Router::Match(Request* request) const {
  thread_local std::string key;
  key.assign(request->method).append(" ").append(request->path);
  if (auto it = routes_.find(std::string_view(key)); it != routes_.end()) {
    request->params.clear();
    return &it->second;
  }
  for (const auto& [name, route] : routes_) {
    const auto [method, pattern] = Split(name);
    if (method == request->method && pattern.find('{') != std::string_view::npos &&
        Matches(pattern, request->path, &request->params)) {
      return &route;
    }
  }
  return nullptr;
}

Response Router::Unmatched(const Request& request) const {
  std::map<std::string, std::string> params;
  for (const auto& [name, route] : routes_) {
    const auto pattern = Split(name).second;
    if (pattern == request.path || Matches(pattern, request.path, &params)) {
      return ErrorResponse(405, "method_not_allowed",
                           request.method + " is not allowed on " + request.path);
    }
  }
  return ErrorResponse(404, "not_found", "no route " + request.method + " " + request.path);
}

Response Router::Dispatch(const Request& request, std::string* route) const {
  Request with = request;
  const Route* found = Match(&with);
  if (route != nullptr) *route = found ? found->name : std::string(kUnmatchedRoute);
  return found ? found->handler(with) : Unmatched(request);
}

std::vector<std::string> Router::Routes() const {
  std::vector<std::string> out;
  for (const auto& [name, route] : routes_) out.push_back(name);
  return out;
}

}  // namespace promorec::http
