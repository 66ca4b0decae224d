#include "promorec/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace promorec::metrics {
namespace {

TEST(MetricsTest, ExpositionFormat) {
  Registry r;
  r.GetCounter("promorec_events_total", "Events accepted.", {{"source", "http"}}).Add(3);
  r.GetCounter("promorec_events_total", "ignored", {{"source", "kinesis"}}).Add();
  r.GetGauge("promorec_model_loaded", "1 when a model is loaded.").Set(1);
  Histogram& h = r.GetHistogram("promorec_latency_seconds", "Latency.", {{"route", "GET /x\"y"}},
                                {0.001, 0.01});
  h.Observe(0.0005);
  h.Observe(0.001);
  h.Observe(5);
  EXPECT_EQ(r.Exposition(),
            "# HELP promorec_events_total Events accepted.\n"
            "# TYPE promorec_events_total counter\n"
            "promorec_events_total{source=\"http\"} 3\n"
            "promorec_events_total{source=\"kinesis\"} 1\n"
            "# HELP promorec_latency_seconds Latency.\n"
            "# TYPE promorec_latency_seconds histogram\n"
            "promorec_latency_seconds_bucket{route=\"GET /x\\\"y\",le=\"0.001\"} 2\n"
            "promorec_latency_seconds_bucket{route=\"GET /x\\\"y\",le=\"0.01\"} 2\n"
            "promorec_latency_seconds_bucket{route=\"GET /x\\\"y\",le=\"+Inf\"} 3\n"
            "promorec_latency_seconds_sum{route=\"GET /x\\\"y\"} 5.0015000000000001\n"
            "promorec_latency_seconds_count{route=\"GET /x\\\"y\"} 3\n"
            "# HELP promorec_model_loaded 1 when a model is loaded.\n"
            "# TYPE promorec_model_loaded gauge\n"
            "promorec_model_loaded 1\n");
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r] {
      for (int i = 0; i < 10000; ++i) {
        r.GetCounter("c", "c").Add();
        r.GetHistogram("h", "h", {}, LatencyBounds()).Observe(0.002);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.GetCounter("c", "c").value(), 40000u);
  EXPECT_EQ(r.GetHistogram("h", "h", {}, LatencyBounds()).CumulativeCounts().back(), 40000u);
}

}  // namespace
}  // namespace promorec::metrics
