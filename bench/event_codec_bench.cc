// Per-record cost of the event codecs. BM_SplitOnly is the baseline: finding
// the line's fields with memchr and nothing else, the least any delimited
// parser must do. Compare items_per_second of the others against it.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "promorec/event/binary_record.h"
#include "promorec/event/delimited.h"
#include "promorec/event/json_codec.h"

namespace promorec::event {
namespace {

std::vector<std::string> KasandrLines(std::size_t n) {
  std::vector<std::string> lines;
  char buf[256];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf,
                  "%040zx\t%032zx\tde\t1000%05zu\t%zu\t2016-06-%02zu %02zu:%02zu:%02zu.0\t%zu",
                  i * 2654435761u, i * 40503u, i % 977, 10000 + i % 3000, 1 + i % 28, i % 24,
                  i % 60, (i * 7) % 60, i % 10 == 0 ? std::size_t{1} : std::size_t{0});
    lines.emplace_back(buf);
  }
  return lines;
}

const std::vector<std::string>& Lines() {
  static const std::vector<std::string> lines = KasandrLines(4096);
  return lines;
}

ColumnLayout Layout() {
  return *ColumnLayout::FromHeader(
      "userid\tofferid\tcountrycode\tcategory\tmerchant\tutcdate\trating");
}

void BM_SplitOnly(benchmark::State& state) {
  const auto& lines = Lines();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ & 4095];
    const char* p = line.data();
    const char* end = p + line.size();
    int fields = 1;
    while ((p = static_cast<const char*>(
                std::memchr(p, '\t', static_cast<std::size_t>(end - p)))) != nullptr) {
      ++fields;
      ++p;
    }
    benchmark::DoNotOptimize(fields);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SplitOnly);

void BM_ParseKasandrLine(benchmark::State& state) {
  const auto& lines = Lines();
  const ColumnLayout layout = Layout();
  ClickEvent event;
  std::string scratch;
  std::size_t i = 0;
  for (auto _ : state) {
    auto status = ParseDelimitedLine(layout, lines[i++ & 4095], &event, &scratch);
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseKasandrLine);

std::vector<ClickEvent> Events() {
  const ColumnLayout layout = Layout();
  std::vector<ClickEvent> events(Lines().size());
  std::string scratch;
  for (std::size_t i = 0; i < events.size(); ++i) {
    (void)ParseDelimitedLine(layout, Lines()[i], &events[i], &scratch);
  }
  return events;
}

void BM_EncodeBinaryRecord(benchmark::State& state) {
  const auto events = Events();
  std::string out;
  std::size_t i = 0;
  for (auto _ : state) {
    out.clear();
    AppendBinaryRecord(events[i++ & 4095], &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeBinaryRecord);

// Decodes the records of Events() one after another with `decode`.
template <typename Decode>
void DecodeRecords(benchmark::State& state, Decode decode) {
  const auto events = Events();
  std::vector<std::string> records(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) AppendBinaryRecord(events[i], &records[i]);
  ClickEvent event;
  std::size_t i = 0;
  for (auto _ : state) {
    auto status = decode(records[i++ & 4095], &event);
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_DecodeBinaryRecord(benchmark::State& state) { DecodeRecords(state, DecodeBinaryRecord); }
BENCHMARK(BM_DecodeBinaryRecord);

// The same records, decoded by a reader that knows they were validated
// before they were written (the layout and checksum are still checked).
void BM_DecodeValidatedBinaryRecord(benchmark::State& state) {
  DecodeRecords(state, DecodeValidatedBinaryRecord);
}
BENCHMARK(BM_DecodeValidatedBinaryRecord);

void BM_DecodeNdjson(benchmark::State& state) {
  const auto events = Events();
  std::string body;
  for (const ClickEvent& e : events) {
    AppendJsonEvent(e, &body);
    body.push_back('\n');
  }
  JsonEventDecoder decoder;
  for (auto _ : state) {
    std::uint64_t accepted = 0;
    decoder.Decode(
        body, "bench", [&accepted](const ClickEvent&, std::uint64_t) { ++accepted; },
        [](const Rejection&, std::uint64_t) {});
    benchmark::DoNotOptimize(accepted);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
}
BENCHMARK(BM_DecodeNdjson);

}  // namespace
}  // namespace promorec::event

BENCHMARK_MAIN();
