// Per-route HTTP request counters and latency histograms for `serve`,
// looked up once per route and status and then updated without the
// registry's lock (the server calls Observe for every response).
// Thread-safety: Observe may run on many threads at once.
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "promorec/metrics/registry.h"

namespace promorec::app {

class HttpRequestMetrics {
 public:
  explicit HttpRequestMetrics(metrics::Registry& registry) : registry_(registry) {}

  // promorec_http_requests_total{route,status} and
  // promorec_http_request_seconds{route}.
  void Observe(std::string_view route, int status, double seconds);

 private:
  struct Entry {
    metrics::Counter* requests;
    metrics::Histogram* seconds;
  };

  metrics::Registry& registry_;
  std::shared_mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;  // by "route status"
};

}  // namespace promorec::app
