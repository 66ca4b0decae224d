#include "promorec/app/bench_log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "promorec/app/cli_util.h"
#include "promorec/app/commands.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kRecordBytes = 150;

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

class Bench {
 public:
  explicit Bench(const LogBenchOptions& options)
      : options_(options),
        dir_(options.data_dir + "/tmp/bench-log-" + std::to_string(getpid())),
        env_(base::DefaultEnv()) {}

  ~Bench() { (void)base::RemoveTree(env_, dir_); }

  base::Status Prepare() { return env_.CreateDirs(dir_); }

  // A fresh stream for one measurement.
  base::Result<
      std::pair<std::unique_ptr<eventlog::LocalStreamStore>, std::shared_ptr<eventlog::Stream>>>
  NewStream(eventlog::Durability durability) {
    const std::string root = dir_ + "/run-" + std::to_string(run_++);
    PROMOREC_ASSIGN_OR_RETURN(auto store,
                              eventlog::LocalStreamStore::Open(env_, base::RealClock(), root));
    eventlog::StreamOptions stream_options;
    stream_options.shard_count = 1;
    stream_options.durability = durability;
    stream_options.sync_interval_ms = 100;
    stream_options.segment_bytes = 256ull << 20;
    PROMOREC_ASSIGN_OR_RETURN(auto stream, store->CreateStream("bench", stream_options));
    return std::make_pair(std::move(store), std::move(stream));
  }

  // Records/s with `appenders` threads each appending batches of `batch`.
  base::Result<double> AppendRate(eventlog::Durability durability, std::size_t batch, int appenders,
                                  std::vector<double>* latencies_ms = nullptr) {
    PROMOREC_ASSIGN_OR_RETURN(auto opened, NewStream(durability));
    auto& stream = opened.second;
    std::atomic<std::uint64_t> appended{0};
    std::atomic<bool> failed{false};
    std::mutex latency_mu;
    const auto deadline = Clock::now() + std::chrono::duration<double>(options_.seconds);
    const auto started = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        const std::string data(kRecordBytes, static_cast<char>('a' + t % 26));
        const std::string key = "appender-" + std::to_string(t);
        std::vector<eventlog::PutRecord> records(batch, eventlog::PutRecord{key, data, {}});
        std::vector<double> local;
        while (Clock::now() < deadline && !failed) {
          const auto begin = Clock::now();
          if (!stream->Append(records)) {
            failed = true;
            return;
          }
          if (latencies_ms != nullptr) {
            local.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
          }
          appended += batch;
        }
        if (latencies_ms != nullptr) {
          std::lock_guard lock(latency_mu);
          latencies_ms->insert(latencies_ms->end(), local.begin(), local.end());
        }
      });
    }
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (failed) return base::IoError("an append failed during the benchmark");
    return static_cast<double>(appended.load()) / seconds;
  }

  // Records/s reading a stream of `count` records from the start.
  base::Result<double> ReadRate(std::size_t count) {
    PROMOREC_ASSIGN_OR_RETURN(auto opened, NewStream(eventlog::Durability::kNone));
    auto& stream = opened.second;
    const std::string data(kRecordBytes, 'r');
    std::vector<eventlog::PutRecord> records(1000, eventlog::PutRecord{"reader", data, {}});
    for (std::size_t done = 0; done < count; done += records.size()) {
      PROMOREC_RETURN_IF_ERROR(stream->Append(records));
    }
    const auto started = Clock::now();
    std::uint64_t next = 1;
    std::size_t read = 0;
    while (read < count) {
      PROMOREC_ASSIGN_OR_RETURN(auto batch_read, stream->Read(0, next, eventlog::ReadLimits{}));
      if (batch_read.records.empty()) break;
      read += batch_read.records.size();
      next = batch_read.next_sequence;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (read != count) return base::Corruption("read back " + std::to_string(read) + " records");
    return static_cast<double>(read) / seconds;
  }

  // The disk's own speed: sequential 150-byte writes, fdatasync every 1000.
  base::Result<double> RawDiskRate() {
    const std::string path = dir_ + "/raw-" + std::to_string(run_++);
    PROMOREC_ASSIGN_OR_RETURN(auto file, env_.NewWritableFile(path));
    const std::string record(kRecordBytes, 'w');
    std::string chunk;
    for (int i = 0; i < 1000; ++i) chunk += record;
    const auto deadline = Clock::now() + std::chrono::duration<double>(options_.seconds);
    const auto started = Clock::now();
    std::uint64_t written = 0;
    while (Clock::now() < deadline) {
      PROMOREC_RETURN_IF_ERROR(file->Append(chunk));
      PROMOREC_RETURN_IF_ERROR(file->Sync());
      written += 1000;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    PROMOREC_RETURN_IF_ERROR(file->Close());
    return static_cast<double>(written) / seconds;
  }

  template <typename Fn>
  base::Result<double> MedianOf(Fn&& fn) {
    std::vector<double> values;
    for (int r = 0; r < options_.repeat; ++r) {
      PROMOREC_ASSIGN_OR_RETURN(const double v, fn());
      values.push_back(v);
    }
    return Median(values);
  }

 private:
  const LogBenchOptions& options_;
  const std::string dir_;
  base::Env& env_;
  int run_ = 0;
};

struct Row {
  std::string mode;
  std::size_t batch;
  int appenders;
  double records_per_second;
};

}  // namespace

int RunLogBench(const LogBenchOptions& options) {
  Bench bench(options);
  if (auto prepared = bench.Prepare(); !prepared) {
    std::fprintf(stderr, "promorec bench log: %s\n", prepared.error().ToString().c_str());
    return kExitFailure;
  }
  auto fail = [](const base::Error& error) {
    std::fprintf(stderr, "promorec bench log: %s\n", error.ToString().c_str());
    return kExitFailure;
  };
  // The disk's speed drifts on shared machines: measure it before and after
  // the appends and take the median of all those runs.
  std::vector<double> raw_runs;
  auto measure_raw = [&]() -> base::Status {
    for (int r = 0; r < options.repeat; ++r) {
      PROMOREC_ASSIGN_OR_RETURN(const double v, bench.RawDiskRate());
      raw_runs.push_back(v);
    }
    return {};
  };
  if (auto measured = measure_raw(); !measured) return fail(measured.error());

  std::vector<Row> rows;
  const std::pair<eventlog::Durability, int> configs[] = {{eventlog::Durability::kNone, 1},
                                                          {eventlog::Durability::kInterval, 1},
                                                          {eventlog::Durability::kFsync, 1},
                                                          {eventlog::Durability::kFsync, 16}};
  for (const auto& [durability, appenders] : configs) {
    for (const std::size_t batch : {std::size_t{1}, std::size_t{100}, std::size_t{1000}}) {
      auto rate = bench.MedianOf([&] { return bench.AppendRate(durability, batch, appenders); });
      if (!rate) return fail(rate.error());
      rows.push_back(
          Row{std::string(eventlog::DurabilityName(durability)), batch, appenders, *rate});
    }
  }
  struct Latency {
    int appenders;
    double rate, p50, p99;
  };
  std::vector<Latency> latencies;
  for (const int appenders : {1, 64}) {
    std::vector<double> samples;
    auto rate = bench.AppendRate(eventlog::Durability::kFsync, 1, appenders, &samples);
    if (!rate) return fail(rate.error());
    const double p50 = Percentile(samples, 0.50);
    const double p99 = Percentile(samples, 0.99);
    latencies.push_back(Latency{appenders, *rate, p50, p99});
  }
  auto read = bench.MedianOf([&] { return bench.ReadRate(1'000'000); });
  if (!read) return fail(read.error());
  if (auto measured = measure_raw(); !measured) return fail(measured.error());
  const double raw_rate = Median(raw_runs);
  const double* raw = &raw_rate;

  double fsync_group = 0;
  for (const Row& row : rows) {
    if (row.mode == "fsync" && row.batch == 100 && row.appenders == 16)
      fsync_group = row.records_per_second;
  }
  if (options.json) {
    std::string out =
        "{\"benchmark\":\"log\",\"record_bytes\":150,\"raw_disk_records_per_second\":" +
        std::to_string(static_cast<std::uint64_t>(*raw)) + ",\"append\":[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i > 0) out += ",";
      out += "{\"durability\":\"" + rows[i].mode + "\",\"batch\":" + std::to_string(rows[i].batch) +
             ",\"appenders\":" + std::to_string(rows[i].appenders) + ",\"records_per_second\":" +
             std::to_string(static_cast<std::uint64_t>(rows[i].records_per_second)) + "}";
    }
    out += "],\"latency\":[";
    for (std::size_t i = 0; i < latencies.size(); ++i) {
      char buf[200];
      std::snprintf(
          buf, sizeof buf,
          "%s{\"appenders\":%d,\"records_per_second\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f}",
          i > 0 ? "," : "", latencies[i].appenders, latencies[i].rate, latencies[i].p50,
          latencies[i].p99);
      out += buf;
    }
    char tail[200];
    std::snprintf(tail, sizeof tail,
                  "],\"read_records_per_second\":%.0f,\"fsync_group_to_raw_ratio\":%.3f}\n", *read,
                  fsync_group / *raw);
    out += tail;
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  std::printf("event log benchmark: 150-byte records, one shard, median of %d runs of %.1f s\n",
              options.repeat, options.seconds);
  std::printf(
      "raw disk (write + fdatasync every 1000 records, median of %zu runs around the others): %.0f "
      "records/s %.1f MB/s\n",
      raw_runs.size(), *raw, *raw * kRecordBytes / 1e6);
  std::printf("\n%-9s %6s %9s %14s %9s %10s\n", "mode", "batch", "appenders", "records/s", "MB/s",
              "vs raw");
  for (const Row& row : rows) {
    std::printf("%-9s %6zu %9d %14.0f %9.1f %10.3f\n", row.mode.c_str(), row.batch, row.appenders,
                row.records_per_second, row.records_per_second * kRecordBytes / 1e6,
                row.records_per_second / *raw);
  }
  std::printf("\nacknowledgement latency, fsync, single-record appends:\n");
  for (const Latency& l : latencies) {
    std::printf("  %2d appenders: %10.0f records/s  p50 %.3f ms  p99 %.3f ms\n", l.appenders,
                l.rate, l.p50, l.p99);
  }
  std::printf("\nread: %.0f records/s (1,000,000 records, batches of up to 10,000)\n", *read);
  std::printf("fsync group commit (16 appenders x 100) / raw disk: %.3f\n", fsync_group / *raw);
  return kExitOk;
}

}  // namespace promorec::app
