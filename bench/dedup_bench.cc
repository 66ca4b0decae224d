// Cost of the de-duplication filter on the hot path (Seen of a new id, and
// of a duplicate) with 1M and 10M ids held, against the obvious baseline
// measured in the same run: std::unordered_set<std::string> of the ids.
// Ids are 32 hex digits, as event ids are. Both run a steady stream of N
// ids per hour: id i arrives at i hours / N, so the filter holds the last
// hour (16 sealed buckets and the open one; a lookup probes all 17) and
// seals and expires buckets as the benchmark goes on; the baseline set
// erases the id that left the window with each insert, as a windowed set
// must. Duplicates are ids from the last 15/16 of the window.
// After the table it prints ns per lookup, the ratio to the baseline and
// bytes per id of both (the set's from malloc statistics, the filter's
// from its own count and from malloc, which should agree).
// BM_Fill/N fills a fresh filter with N ids over the window, once, and
// reports its bytes per id: the memory figure at several fill levels, up
// to the hard case of 72M ids (1 h at 20,000 events/s).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include "promorec/base/hash.h"
#include "promorec/base/random.h"
#include "promorec/pipeline/dedup_filter.h"

namespace promorec {
namespace {

constexpr std::int64_t kHour = std::int64_t{3600} * 1000 * 1000;
constexpr std::int64_t kStart = std::int64_t{1'700'000'000} * 1000 * 1000;

// The i-th id: 32 hex digits.
void IdOf(std::uint64_t i, char* out32) {
  std::uint64_t x = i;
  const std::uint64_t high = base::Rng::SplitMix64(&x);
  const std::uint64_t low = base::Rng::SplitMix64(&x);
  base::WriteHex128(high, low, out32);
}

std::size_t HeapBytes() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Arrival time of id i in a stream of n ids an hour.
std::int64_t ArrivalOf(std::uint64_t i, std::uint64_t n) {
  return kStart + static_cast<std::int64_t>(static_cast<double>(i) * static_cast<double>(kHour) /
                                            static_cast<double>(n));
}

struct Filled {
  std::uint64_t n = 0;
  std::unique_ptr<pipeline::DedupFilter> filter;
  std::unordered_set<std::string> set;
  double filter_heap_bytes_per_id = 0;
  double set_bytes_per_id = 0;
  // The filter's stream so far: ids 0..next-1 have arrived. The set holds
  // ids set_first..set_first+n-1.
  std::uint64_t next = 0;
  std::uint64_t set_first = 0;
};

std::unique_ptr<pipeline::DedupFilter> FillFilter(std::uint64_t n) {
  auto filter = std::move(*pipeline::DedupFilter::Create({}));
  char id[32];
  for (std::uint64_t i = 0; i < n; ++i) {
    IdOf(i, id);
    filter->Seen(0, std::string_view(id, 32), ArrivalOf(i, n));
  }
  return filter;
}

Filled& State(std::uint64_t n) {
  static std::map<std::uint64_t, std::unique_ptr<Filled>> states;
  auto& slot = states[n];
  if (!slot) {
    slot = std::make_unique<Filled>();
    slot->n = n;
    std::size_t before = HeapBytes();
    slot->filter = FillFilter(n);
    slot->filter_heap_bytes_per_id =
        static_cast<double>(HeapBytes() - before) / static_cast<double>(n);
    before = HeapBytes();
    slot->set.reserve(n);
    char id[32];
    for (std::uint64_t i = 0; i < n; ++i) {
      IdOf(i, id);
      slot->set.emplace(id, 32);
    }
    slot->set_bytes_per_id = static_cast<double>(HeapBytes() - before) / static_cast<double>(n);
    slot->next = n;
  }
  return *slot;
}

void Report(benchmark::State& state, const Filled& filled, bool filter) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  if (filter) {
    const auto stats = filled.filter->Stats();
    state.counters["bytes_per_id"] =
        static_cast<double>(stats.bytes_held) / static_cast<double>(stats.ids_held);
    state.counters["heap_bytes_per_id"] = filled.filter_heap_bytes_per_id;
  } else {
    state.counters["bytes_per_id"] = filled.set_bytes_per_id;
  }
}

void BM_DedupNew(benchmark::State& state) {
  Filled& f = State(static_cast<std::uint64_t>(state.range(0)));
  char id[32];
  std::uint64_t wrong = 0;
  for (auto _ : state) {
    IdOf(f.next, id);
    wrong += f.filter->Seen(0, std::string_view(id, 32), ArrivalOf(f.next, f.n)) ? 1u : 0u;
    ++f.next;
  }
  if (wrong != 0) state.SkipWithError("a new id was taken for a duplicate");
  Report(state, f, true);
}

void BM_StringSetNew(benchmark::State& state) {
  Filled& f = State(static_cast<std::uint64_t>(state.range(0)));
  char id[32];
  std::uint64_t wrong = 0;
  for (auto _ : state) {
    // Slides the window by one id: the oldest leaves, a new one comes.
    IdOf(f.set_first++, id);
    f.set.erase(std::string(id, 32));
    IdOf(f.set_first + f.n - 1, id);
    wrong += f.set.emplace(id, 32).second ? 0u : 1u;
  }
  if (wrong != 0) state.SkipWithError("a new id was already in the set");
  Report(state, f, false);
}

// An id from the last 15/16 of the window: a duplicate for both.
std::uint64_t RecentId(base::Rng& rng, const Filled& f, std::uint64_t newest) {
  return newest - f.n * 15 / 16 + rng.Below(f.n * 15 / 16);
}

void BM_DedupDuplicate(benchmark::State& state) {
  Filled& f = State(static_cast<std::uint64_t>(state.range(0)));
  base::Rng rng(7);
  char id[32];
  std::uint64_t wrong = 0;
  const std::int64_t now = ArrivalOf(f.next - 1, f.n);
  for (auto _ : state) {
    IdOf(RecentId(rng, f, f.next), id);
    wrong += f.filter->Seen(0, std::string_view(id, 32), now) ? 0u : 1u;
  }
  if (wrong != 0) state.SkipWithError("a duplicate was missed");
  Report(state, f, true);
}

void BM_StringSetDuplicate(benchmark::State& state) {
  Filled& f = State(static_cast<std::uint64_t>(state.range(0)));
  base::Rng rng(7);
  char id[32];
  std::uint64_t wrong = 0;
  for (auto _ : state) {
    IdOf(RecentId(rng, f, f.set_first + f.n), id);
    wrong += f.set.emplace(id, 32).second ? 1u : 0u;
  }
  if (wrong != 0) state.SkipWithError("a duplicate was missed");
  Report(state, f, false);
}

// A fixed number of new ids per run, so that both grow by the same amount.
BENCHMARK(BM_DedupNew)->Arg(1'000'000)->Arg(10'000'000)->Iterations(1'000'000);
BENCHMARK(BM_StringSetNew)->Arg(1'000'000)->Arg(10'000'000)->Iterations(1'000'000);
BENCHMARK(BM_DedupDuplicate)->Arg(1'000'000)->Arg(10'000'000);
BENCHMARK(BM_StringSetDuplicate)->Arg(1'000'000)->Arg(10'000'000);

void BM_Fill(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  pipeline::DedupStats stats;
  for (auto _ : state) {
    auto filter = FillFilter(n);
    stats = filter->Stats();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["bytes_per_id"] =
      static_cast<double>(stats.bytes_held) / static_cast<double>(stats.ids_held);
  state.counters["MiB"] = static_cast<double>(stats.bytes_held) / (1 << 20);
  state.counters["evicted"] = static_cast<double>(stats.evicted_early);
}
BENCHMARK(BM_Fill)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Arg(72'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Prints the usual table, then per lookup kind and size the filter's ns,
// the baseline's, their ratio and both bytes per id.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (!median && (run.run_type != Run::RT_Iteration || run.iterations == 0)) continue;
      if (!median && run.repetitions > 1) continue;
      Figure& f = figures_[run.run_name.str()];
      f.ns = run.GetAdjustedCPUTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
      const auto bytes = run.counters.find("bytes_per_id");
      if (bytes != run.counters.end()) f.bytes_per_id = bytes->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const char* kind : {"New", "Duplicate"}) {
      for (const char* size : {"1000000", "10000000"}) {
        const auto ours = figures_.find(std::string("BM_Dedup") + kind + "/" + size +
                                        (std::string(kind) == "New" ? "/iterations:1000000" : ""));
        const auto base = figures_.find(std::string("BM_StringSet") + kind + "/" + size +
                                        (std::string(kind) == "New" ? "/iterations:1000000" : ""));
        if (ours == figures_.end() || base == figures_.end()) continue;
        std::printf(
            "%-9s %8s ids: filter %7.1f ns, unordered_set<string> %7.1f ns, ratio %5.2fx; "
            "bytes/id %5.1f vs %5.1f\n",
            kind, size, ours->second.ns, base->second.ns, ours->second.ns / base->second.ns,
            ours->second.bytes_per_id, base->second.bytes_per_id);
      }
    }
  }

 private:
  struct Figure {
    double ns = 0;
    double bytes_per_id = 0;
  };
  std::map<std::string, Figure> figures_;
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
