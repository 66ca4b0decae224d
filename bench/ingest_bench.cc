// CPU cost of POST /v1/events after the body is received: http::HandleEvents
// on a 100-event NDJSON body (the one bench/http_bench.py posts), with the
// append and the counters `promorec serve` uses (ingest::EventWriter), into a
// real event log in a temporary directory. BM_SimdjsonParse is the baseline: simdjson parsing
// the same body and nothing else. At the end the program prints each
// benchmark's time per event and its ratio to the baseline.
#include <benchmark/benchmark.h>
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/http/ingest_api.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/metrics/registry.h"

namespace promorec {
namespace {

constexpr int kEventsPerRequest = 100;

// json.dumps of http_bench.py's events, one per line.
std::string NdjsonBody() {
  std::string body;
  char line[256];
  for (int i = 0; i < kEventsPerRequest; ++i) {
    std::snprintf(line, sizeof line,
                  "{\"userid\": \"user%d\", \"offerid\": \"offer%d\", \"countrycode\": \"de\", "
                  "\"category\": \"100020213\", \"merchant\": \"m1\", \"rating\": %d, "
                  "\"utcdate\": %.1f}\n",
                  i % 37, i % 20, i % 2, 1518318207.0 + i);
    body += line;
  }
  return body;
}

void BM_SimdjsonParse(benchmark::State& state) {
  const std::string body = NdjsonBody();
  // Padded once; each line is parsed in place (the bytes after a line are
  // its padding).
  std::string padded = body;
  padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    std::size_t fields = 0;
    std::size_t at = 0;
    while (at < body.size()) {
      const std::size_t end = body.find('\n', at);
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      if (parser.iterate(padded.data() + at, end - at, padded.size() - at).get(doc) ||
          doc.get_object().get(object)) {
        state.SkipWithError("parse");
        break;
      }
      for (auto field : object) {
        std::string_view key;
        std::string_view value;
        if (field.unescaped_key().get(key) || field.value().raw_json_token().get(value)) {
          state.SkipWithError("field");
        }
        fields += key.size() + value.size();
      }
      at = end + 1;
    }
    benchmark::DoNotOptimize(fields);
  }
  state.SetItemsProcessed(state.iterations() * kEventsPerRequest);
}
BENCHMARK(BM_SimdjsonParse);

// A store in a fresh temporary directory, removed at the end.
class TempStore {
 public:
  explicit TempStore(eventlog::Durability durability)
      : dir_("/tmp/promorec-ingest-bench-" + std::to_string(getpid())) {
    (void)base::RemoveTree(base::DefaultEnv(), dir_);
    store_ =
        std::move(*eventlog::LocalStreamStore::Open(base::DefaultEnv(), base::RealClock(), dir_));
    eventlog::StreamOptions options;
    options.shard_count = ingest::kClickStreamShards;
    options.durability = durability;
    stream_ = std::move(*store_->CreateStream(ingest::kClickStream, options));
  }
  ~TempStore() {
    stream_.reset();
    store_.reset();
    (void)base::RemoveTree(base::DefaultEnv(), dir_);
  }
  const std::shared_ptr<eventlog::Stream>& stream() const { return stream_; }

 private:
  std::string dir_;
  std::unique_ptr<eventlog::LocalStreamStore> store_;
  std::shared_ptr<eventlog::Stream> stream_;
};

// What a benchmark's threads share, as a server's handler threads do: the
// store, the counters and the ingest path.
struct Shared {
  explicit Shared(eventlog::Durability durability)
      : store(durability), ingest(store.stream(), registry) {}
  TempStore store;
  metrics::Registry registry;
  ingest::EventWriter ingest;
};

// The first thread of a run creates the shared state, the last one to
// finish drops it (Google Benchmark starts a run's threads together and
// joins them before the next run).
std::shared_ptr<Shared> SharedFor(eventlog::Durability durability) {
  static std::mutex mu;
  static std::weak_ptr<Shared> current;
  std::lock_guard lock(mu);
  std::shared_ptr<Shared> shared = current.lock();
  if (!shared) {
    shared = std::make_shared<Shared>(durability);
    current = shared;
  }
  return shared;
}

void HandleEventsLoop(benchmark::State& state, eventlog::Durability durability) {
  const std::shared_ptr<Shared> shared = SharedFor(durability);
  http::Request request;
  request.method = "POST";
  request.path = "/v1/events";
  request.headers["content-type"] = "application/x-ndjson";
  request.body = NdjsonBody();
  ingest::EventWriter& writer = shared->ingest;
  const base::Clock& clock = base::RealClock();
  for (auto _ : state) {
    const http::Response response = http::HandleEvents(request, clock.NowMicros(), writer);
    if (response.status != 200) state.SkipWithError(response.body.c_str());
    benchmark::DoNotOptimize(response.body.data());
  }
  state.SetItemsProcessed(state.iterations() * kEventsPerRequest);
}

// Durability `none`: the CPU of the whole path, nothing waited for.
void BM_HandleEvents(benchmark::State& state) {
  HandleEventsLoop(state, eventlog::Durability::kNone);
}
BENCHMARK(BM_HandleEvents);

// Durability `fsync`, as `promorec serve` runs: the CPU time of the whole
// process per request (helper threads and the kernel's share of each
// fdatasync included; the wait for the disk is not CPU time). With one
// thread every request pays for four fsyncs (one per shard); with 16, as
// in a loaded server, concurrent requests share them (group commit).
void BM_HandleEventsFsync(benchmark::State& state) {
  HandleEventsLoop(state, eventlog::Durability::kFsync);
}
BENCHMARK(BM_HandleEventsFsync)->MeasureProcessCPUTime()->UseRealTime()->Threads(1)->Threads(16);

// Prints the usual table, then ns per event and the ratio to the baseline.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      // One figure per benchmark: its run, or with --benchmark_repetitions
      // the median of its runs.
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (!median && (run.run_type != Run::RT_Iteration || run.iterations == 0)) continue;
      if (!median && run.repetitions > 1) continue;
      ns_per_event_[run.run_name.str()] = run.GetAdjustedCPUTime() * 1e9 /
                                          benchmark::GetTimeUnitMultiplier(run.time_unit) /
                                          kEventsPerRequest;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto baseline = ns_per_event_.find("BM_SimdjsonParse");
    for (const auto& [name, ns] : ns_per_event_) {
      std::printf("%-44s %9.1f ns/event (CPU)", name.c_str(), ns);
      if (baseline != ns_per_event_.end() && baseline->second > 0) {
        std::printf("  %6.1fx the baseline BM_SimdjsonParse", ns / baseline->second);
      }
      std::printf("\n");
    }
  }

 private:
  std::map<std::string, double> ns_per_event_;
};

}  // namespace
}  // namespace promorec

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  promorec::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
