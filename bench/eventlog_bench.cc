// Event log appends and reads in a temporary directory. BM_RawWrite is the
// baseline: the same bytes appended to a plain file through the same Env,
// with no framing, CRC or index. Compare bytes_per_second against it.
// `promorec bench log` gives the fuller picture (durability modes, many
// appenders, latency percentiles, the disk's fsync speed).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::eventlog {
namespace {

std::string TempDir(const std::string& name) {
  return "/tmp/promorec-eventlog-bench-" + std::to_string(getpid()) + "-" + name;
}

// A one-shard `none` stream in `dir`; the store must outlive the stream.
std::pair<std::unique_ptr<LocalStreamStore>, std::shared_ptr<Stream>> OpenStream(
    base::Env& env, const std::string& dir) {
  auto store = LocalStreamStore::Open(env, base::RealClock(), dir);
  StreamOptions options;
  options.shard_count = 1;
  options.durability = Durability::kNone;
  options.segment_bytes = 1ull << 30;
  auto stream = (*store)->CreateStream("bench", options);
  return {std::move(*store), std::move(*stream)};
}

void BM_RawWrite(benchmark::State& state) {
  base::Env& env = base::DefaultEnv();
  const std::string dir = TempDir("raw");
  (void)env.CreateDirs(dir);
  auto file = env.NewWritableFile(dir + "/raw");
  const std::string chunk(150 * static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    if (!(*file)->Append(chunk) || !(*file)->Flush()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(chunk.size()));
  (void)(*file)->Close();
  (void)base::RemoveTree(env, dir);
}
BENCHMARK(BM_RawWrite)->Arg(100)->Arg(1000);

void BM_AppendNone(benchmark::State& state) {
  base::Env& env = base::DefaultEnv();
  const std::string dir = TempDir("append");
  {
    auto [store, stream] = OpenStream(env, dir);
    const std::string data(150, 'x');
    std::vector<PutRecord> records(static_cast<std::size_t>(state.range(0)),
                                   PutRecord{"key", data, {}});
    for (auto _ : state) {
      if (!stream->Append(records)) state.SkipWithError("append failed");
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetBytesProcessed(state.iterations() * state.range(0) * 150);
  }
  (void)base::RemoveTree(env, dir);
}
BENCHMARK(BM_AppendNone)->Arg(1)->Arg(100)->Arg(1000);

void BM_Read(benchmark::State& state) {
  base::Env& env = base::DefaultEnv();
  const std::string dir = TempDir("read");
  {
    auto [store, stream] = OpenStream(env, dir);
    const std::string data(150, 'r');
    std::vector<PutRecord> records(1000, PutRecord{"key", data, {}});
    for (int i = 0; i < 200; ++i) (void)stream->Append(records);
    for (auto _ : state) {
      std::uint64_t next = 1;
      std::int64_t read = 0;
      while (true) {
        auto batch = stream->Read(0, next, ReadLimits{});
        if (!batch || batch->records.empty()) break;
        read += static_cast<std::int64_t>(batch->records.size());
        next = batch->next_sequence;
      }
      state.SetItemsProcessed(state.items_processed() + read);
    }
  }
  (void)base::RemoveTree(env, dir);
}
BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace promorec::eventlog

BENCHMARK_MAIN();
