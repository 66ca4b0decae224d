// Lines per second of the libffm line parser on one-hot click rows of the
// shape of the training data ("0 0:123:1 1:45:1 ... 5:11:1"), and on rows
// with fractional values. BM_ParseReference is the baseline: the
// token-by-token parser ParseLibffmLineReference; BM_Parse is
// ParseLibffmLine. Compare their bytes_per_second or items_per_second
// (lines/s).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/trainer/libffm_reader.h"

namespace promorec::trainer {
namespace {

constexpr int kLines = 10'000;

// Returns `kLines` lines of six fields each, joined by '\n'.
std::string MakeLines(bool fractional) {
  std::mt19937_64 rng(1);
  std::string text;
  for (int i = 0; i < kLines; ++i) {
    text += (rng() % 5 == 0) ? "1" : "0";
    for (int field = 0; field < 6; ++field) {
      // Indexes below 10, 100, ... 10^7 alike: a vocabulary of a few million.
      std::uint64_t bound = 10;
      for (std::uint64_t digits = rng() % 7; digits > 0; --digits) bound *= 10;
      const std::uint64_t index = rng() % bound;
      text += " " + std::to_string(field) + ":" + std::to_string(index) + ":";
      text += fractional ? "0." + std::to_string(rng() % 1000) : "1";
    }
    text += '\n';
  }
  return text;
}

std::vector<std::string_view> SplitLines(const std::string& text) {
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  return lines;
}

template <auto Parse>
void ParseAll(benchmark::State& state, bool fractional) {
  const std::string text = MakeLines(fractional);
  const std::vector<std::string_view> lines = SplitLines(text);
  std::vector<model::Feature> features;
  for (auto _ : state) {
    for (const std::string_view line : lines) {
      features.clear();
      auto label = Parse(line, &features, LibffmLabels::kClicks);
      if (!label) std::abort();
      benchmark::DoNotOptimize(label);
      benchmark::DoNotOptimize(features.data());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kLines);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(text.size()));
}

void BM_ParseReference(benchmark::State& state) {
  ParseAll<ParseLibffmLineReference>(state, state.range(0) != 0);
}
void BM_Parse(benchmark::State& state) { ParseAll<ParseLibffmLine>(state, state.range(0) != 0); }

BENCHMARK(BM_ParseReference)->ArgName("fractional")->Arg(0)->Arg(1);
BENCHMARK(BM_Parse)->ArgName("fractional")->Arg(0)->Arg(1);

}  // namespace
}  // namespace promorec::trainer

BENCHMARK_MAIN();
