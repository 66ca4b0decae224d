#include "promorec/app/http_metrics.h"

#include <mutex>

namespace promorec::app {

void HttpRequestMetrics::Observe(std::string_view route, int status, double seconds) {
  thread_local std::string key;
  key.assign(route).push_back(' ');
  key.append(std::to_string(status));
  {
    const std::shared_lock lock(mutex_);
    if (const auto it = entries_.find(std::string_view(key)); it != entries_.end()) {
      it->second.requests->Add();
      it->second.seconds->Observe(seconds);
      return;
    }
  }
  const std::string name(route);
  Entry entry{
      &registry_.GetCounter("promorec_http_requests_total", "HTTP requests by route and status.",
                            {{"route", name}, {"status", std::to_string(status)}}),
      &registry_.GetHistogram("promorec_http_request_seconds",
                              "HTTP request handling time by route.", {{"route", name}},
                              metrics::LatencyBounds())};
  entry.requests->Add();
  entry.seconds->Observe(seconds);
  const std::unique_lock lock(mutex_);
  entries_.emplace(key, entry);
}

}  // namespace promorec::app
