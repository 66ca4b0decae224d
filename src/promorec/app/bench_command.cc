// `promorec bench import`: how fast event files are read and validated,
// against the floor of reading the same file and splitting it into lines,
// both measured in the same run. Medians over repeated runs, because the
// machines this runs on are shared and noisy.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "promorec/app/bench_log.h"
#include "promorec/app/cli_util.h"
#include "promorec/app/commands.h"
#include "promorec/base/env.h"
#include "promorec/base/hash.h"
#include "promorec/event/dead_letter.h"
#include "promorec/event/event_file.h"
#include "promorec/event/limits.h"
#include "promorec/event/line_reader.h"

namespace promorec::app {
namespace {

struct BenchOptions {
  std::string target;
  std::string data_dir;
  std::uint64_t rows = 1'000'000;
  int repeat = 5;
  bool json = false;
  double seconds = 0.5;
};

// A KASANDR-shaped file: 40-hex-digit user ids, 32-hex-digit offer ids,
// numeric categories and merchants, date-time stamps, ~10 % clicks.
std::string KasandrRows(std::uint64_t rows) {
  std::string out = "userid\tofferid\tcountrycode\tcategory\tmerchant\tutcdate\trating\n";
  out.reserve(rows * 150);
  char line[256];
  for (std::uint64_t i = 0; i < rows; ++i) {
    const std::uint64_t h = base::Hash64(std::to_string(i), 42);
    const std::uint64_t user = (h % 50'000) * 0x9E3779B97F4A7C15ull;
    const std::uint64_t offer = ((h >> 20) % 20'000) * 0xC2B2AE3D27D4EB4Full;
    const std::uint64_t second = 1465918127 + i * 3;
    const int n = std::snprintf(
        line, sizeof line,
        "%016llx%016llx%08llx\t%016llx%016llx\tde\t%llu\t%llu\t2016-06-%02llu "
        "%02llu:%02llu:%02llu.0\t%d\n",
        static_cast<unsigned long long>(user), static_cast<unsigned long long>(~user),
        static_cast<unsigned long long>(user >> 32), static_cast<unsigned long long>(offer),
        static_cast<unsigned long long>(~offer),
        static_cast<unsigned long long>(100000000 + (h >> 40) % 500),
        static_cast<unsigned long long>(10000 + (h >> 8) % 3000),
        static_cast<unsigned long long>(14 + (second / 86400) % 14),
        static_cast<unsigned long long>(second / 3600 % 24),
        static_cast<unsigned long long>(second / 60 % 60),
        static_cast<unsigned long long>(second % 60), (h >> 60) < 2 ? 1 : 0);
    out.append(line, static_cast<std::size_t>(n));
  }
  return out;
}

template <typename Fn>
double SecondsOf(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int RunImportBench(const BenchOptions& options) {
  base::Env& env = base::DefaultEnv();
  const std::string dir = options.data_dir + "/tmp";
  const std::string path = dir + "/bench-import-" + std::to_string(getpid()) + ".tsv";
  if (auto s = env.CreateDirs(dir); !s) {
    std::fprintf(stderr, "promorec bench import: %s\n", s.error().ToString().c_str());
    return kExitFailure;
  }
  const std::string data = KasandrRows(options.rows);
  if (auto s = base::WriteFileAtomically(env, path, data); !s) {
    std::fprintf(stderr, "promorec bench import: %s\n", s.error().ToString().c_str());
    return kExitFailure;
  }
  std::vector<double> baseline_seconds;
  std::vector<double> import_seconds;
  std::uint64_t baseline_lines = 0;
  event::ReadStats stats;
  bool failed = false;
  // Warm the page cache so that both measurements read from memory.
  (void)base::ReadFileToString(env, path);
  for (int r = 0; r < options.repeat && !failed; ++r) {
    baseline_seconds.push_back(SecondsOf([&] {
      auto reader = event::LineReader::Open(env, path, event::kMaxLineBytes);
      if (!reader) {
        failed = true;
        return;
      }
      event::Line line;
      baseline_lines = 0;
      while (true) {
        auto more = (*reader)->Next(&line);
        if (!more || !*more) break;
        ++baseline_lines;
      }
    }));
    import_seconds.push_back(SecondsOf([&] {
      event::MemoryDeadLetter dead_letter;
      auto read = event::ReadEventFile(
          env, path, "bench", event::InputFormat::kKasandr, [](const event::ClickEvent&) {},
          dead_letter);
      if (!read) {
        std::fprintf(stderr, "promorec bench import: %s\n", read.error().ToString().c_str());
        failed = true;
        return;
      }
      stats = *read;
    }));
  }
  (void)env.RemoveFile(path);
  if (failed) return kExitFailure;
  const double base_s = Median(baseline_seconds);
  const double import_s = Median(import_seconds);
  const double rows = static_cast<double>(options.rows);
  const double mb = static_cast<double>(data.size()) / 1e6;
  if (stats.accepted != options.rows) {
    std::fprintf(stderr, "promorec bench import: expected %llu accepted rows, got %llu\n",
                 static_cast<unsigned long long>(options.rows),
                 static_cast<unsigned long long>(stats.accepted));
    return kExitFailure;
  }
  if (options.json) {
    std::printf(
        "{\"benchmark\":\"import\",\"format\":\"kasandr\",\"rows\":%llu,\"bytes\":%zu,"
        "\"repeat\":%d,\"import_rows_per_second\":%.0f,\"import_mb_per_second\":%.1f,"
        "\"baseline_rows_per_second\":%.0f,\"baseline_mb_per_second\":%.1f,"
        "\"ratio_to_baseline\":%.3f}\n",
        static_cast<unsigned long long>(options.rows), data.size(), options.repeat, rows / import_s,
        mb / import_s, rows / base_s, mb / base_s, base_s / import_s);
  } else {
    std::printf("import (KASANDR, %llu rows, %.1f MB, median of %d, one thread)\n",
                static_cast<unsigned long long>(options.rows), mb, options.repeat);
    std::printf("  baseline: read + split lines  %12.0f rows/s  %8.1f MB/s\n", rows / base_s,
                mb / base_s);
    std::printf("  import: parse + validate      %12.0f rows/s  %8.1f MB/s\n", rows / import_s,
                mb / import_s);
    std::printf("  import / baseline             %12.3f\n", base_s / import_s);
  }
  return kExitOk;
}

}  // namespace

void RegisterBenchCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command =
      app.add_subcommand("bench", "measure promorec on this machine (targets: import, log)");
  command->add_option("target", options->target, "what to measure: import or log")->required();
  AddDataDirOption(*command, &options->data_dir);
  command->add_option("--rows", options->rows, "rows in the generated file")->capture_default_str();
  command->add_option("--repeat", options->repeat, "runs per measurement (median reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  command->add_option("--seconds", options->seconds, "seconds per measurement (log)")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 60.0));
  command->add_flag("--json", options->json, "print the figures as one JSON object");
  command->callback([options, &result] {
    if (options->target == "import") {
      result.exit_code = RunImportBench(*options);
      return;
    }
    if (options->target == "log") {
      LogBenchOptions log_options{options->data_dir, options->seconds, options->repeat,
                                  options->json};
      result.exit_code = RunLogBench(log_options);
      return;
    }
    std::fprintf(stderr,
                 "promorec bench %s: not built yet in this version (available: import, log)\n",
                 options->target.c_str());
    result.exit_code = kExitUnavailable;
  });
}

}  // namespace promorec::app
