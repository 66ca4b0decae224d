// Cost of the pipeline's snapshot in memory, with N shoppers each shown one
// decision in the last hour (so N decisions wait for their outcome: the
// 20,000 events/s case at N = 1.2M after a minute, 72M after an hour).
// What the pipeline thread waits for is the mark (BM_Mark: the moment of
// the profiles, the frequency caps and the pending attribution, copy on
// write); the encoding of each (BM_Profiles, BM_Caps, BM_Attribution)
// runs on the snapshot's own thread. The baseline in the same run is
// copying as many bytes as the three encodings (memcpy into fresh memory:
// what any snapshot of that size costs at least, and what a pipeline that
// stopped to take it would wait for at best). The heap is on transparent
// huge pages as serve's is (base/huge_page_malloc.h);
// GLIBC_TUNABLES=glibc.malloc.hugetlb=0 measures without. After the table
// it prints bytes per entry of each encoding and the ratios.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "promorec/base/hash.h"
#include "promorec/base/huge_page_malloc.h"
#include "promorec/base/random.h"
#include "promorec/event/click_event.h"
#include "promorec/pipeline/attribution.h"
#include "promorec/pipeline/decision_record.h"
#include "promorec/policy/frequency_caps.h"
#include "promorec/profile/profile_store.h"

namespace promorec {
namespace {

constexpr std::int64_t kHour = std::int64_t{3600} * 1000 * 1000;
constexpr std::int64_t kStart = std::int64_t{1'700'000'000} * 1000 * 1000;
constexpr int kPromotions = 20;

struct Filled {
  std::uint64_t n = 0;
  profile::ProfileStore profiles;
  policy::FrequencyCaps caps;
  pipeline::Attribution attribution;
};

std::string UserOf(std::uint64_t i) { return "user-" + std::to_string(i); }

Filled& State(std::uint64_t n) {
  static std::map<std::uint64_t, std::unique_ptr<Filled>> states;
  auto& slot = states[n];
  if (slot) return *slot;
  slot = std::make_unique<Filled>();
  Filled& s = *slot;
  s.n = n;
  base::Rng rng(7);
  event::ClickEvent e;
  pipeline::DecisionRecord d;
  std::vector<pipeline::Example> closed;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::int64_t t =
        kStart + static_cast<std::int64_t>(static_cast<double>(i) / static_cast<double>(n) *
                                           static_cast<double>(kHour));
    e.Clear();
    e.event_id = std::to_string(i);
    e.user_id = UserOf(i);
    e.country = "de";
    e.category = "category-" + std::to_string(rng.Below(50));
    e.product = "product-" + std::to_string(rng.Below(5000));
    e.timestamp_us = t;
    s.profiles.Apply(e);
    const std::string promotion = "promo-" + std::to_string(rng.Below(kPromotions));
    s.caps.Record(e.user_id, promotion, t);
    d.decision_id = pipeline::DecisionId("event", e.event_id);
    d.user_id = e.user_id;
    d.country = e.country;
    d.category = e.category;
    d.product = e.product;
    d.time_us = t;
    d.promotion_id = promotion;
    d.promotion_code = "CODE-" + promotion;
    d.probability = 0.95;
    d.model_version = "20261207-000000";
    d.policy = "epsilon_greedy";
    s.attribution.Shown(d, &closed);
  }
  return s;
}

std::map<std::string, double> g_bytes_per_entry;

template <typename EncodeFn>
void Run(benchmark::State& state, const char* part, EncodeFn encode) {
  Filled& s = State(static_cast<std::uint64_t>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out = std::string();  // fresh memory each time, as a snapshot gets
    encode(s, &out);
    benchmark::DoNotOptimize(out.data());
  }
  g_bytes_per_entry[part] = static_cast<double>(out.size()) / static_cast<double>(s.n);
  state.counters["bytes"] = static_cast<double>(out.size());
  state.counters["ns_per_entry"] =
      benchmark::Counter(static_cast<double>(s.n), benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}

void BM_Profiles(benchmark::State& state) {
  Run(state, "profiles", [](Filled& s, std::string* out) {
    const std::uint64_t positions[1] = {0};
    benchmark::DoNotOptimize(s.profiles.EncodeSnapshot(positions, out));
  });
}
void BM_Caps(benchmark::State& state) {
  Run(state, "caps", [](Filled& s, std::string* out) { s.caps.Encode(out); });
}
void BM_Attribution(benchmark::State& state) {
  Run(state, "attribution", [](Filled& s, std::string* out) { s.attribution.Encode(out); });
}
// What the pipeline thread waits for: the three marks. (Each is ended by
// encoding it, untimed.)
void BM_Mark(benchmark::State& state) {
  Filled& s = State(static_cast<std::uint64_t>(state.range(0)));
  std::string out;
  const std::uint64_t positions[1] = {0};
  for (auto _ : state) {
    s.profiles.BeginSnapshot();
    s.caps.BeginSnapshot();
    s.attribution.BeginSnapshot();
    state.PauseTiming();
    out.clear();
    (void)s.profiles.EncodeBegunSnapshot(positions, &out);
    s.caps.EncodeBegunSnapshot(&out);
    while (!s.attribution.EncodeSome(&out, 1 << 20)) {
    }
    state.ResumeTiming();
  }
}
// The floor: as many bytes as all three encodings, copied.
void BM_CopyBaseline(benchmark::State& state) {
  Filled& s = State(static_cast<std::uint64_t>(state.range(0)));
  std::string all;
  const std::uint64_t positions[1] = {0};
  (void)s.profiles.EncodeSnapshot(positions, &all);
  s.caps.Encode(&all);
  s.attribution.Encode(&all);
  std::string out;
  for (auto _ : state) {
    out = std::string();
    out.resize(all.size());
    std::memcpy(out.data(), all.data(), all.size());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(all.size());
}

constexpr std::int64_t kSmall = 100'000;
constexpr std::int64_t kLarge = 1'200'000;
BENCHMARK(BM_Profiles)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Caps)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Attribution)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CopyBaseline)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mark)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMicrosecond)->Iterations(20);

// Prints the per-part bytes and ratios after the table.
class Reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      // Single runs, or the median of repetitions.
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      times_[run.run_name.function_name + "/" + run.run_name.args] =
          run.GetAdjustedRealTime() * Millis(run.time_unit);
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const std::string large = "/" + std::to_string(kLarge);
    double encodes = 0;
    for (const char* part : {"Profiles", "Caps", "Attribution"}) {
      encodes += times_[std::string("BM_") + part + large];
    }
    const double copy = times_["BM_CopyBaseline" + large];
    const double mark = times_["BM_Mark" + large];
    for (const auto& [part, bytes] : g_bytes_per_entry) {
      std::printf("%-12s %6.1f bytes per entry\n", part.c_str(), bytes);
    }
    if (copy > 0 && mark > 0) {
      std::printf(
          "%lld shoppers: the pipeline waits %.3f ms (the marks); encoding on the snapshot's "
          "thread %.1f ms; copying as many bytes %.1f ms: the wait is %.0fx shorter than the "
          "copy\n",
          static_cast<long long>(kLarge), mark, encodes, copy, copy / mark);
    }
  }

 private:
  static double Millis(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kNanosecond:
        return 1e-6;
      case benchmark::kMicrosecond:
        return 1e-3;
      case benchmark::kMillisecond:
        return 1;
      case benchmark::kSecond:
        return 1e3;
    }
    return 1;
  }
  std::map<std::string, double> times_;
};

}  // namespace
}  // namespace promorec

int main(int argc, char** argv) {
  // As serve runs (GLIBC_TUNABLES=glibc.malloc.hugetlb=0 measures without).
  promorec::base::UseHugePageMalloc(argv);
  benchmark::Initialize(&argc, argv);
  promorec::Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
