// `promorec agent`: a log-tailing shipper in the manner of the Kinesis
// Agent. It follows the files matching --watch through rotation and
// truncation and delivers their lines in batches to a promorec server:
// POST URL/v1/events by default, or with --stream NAME to that Kinesis
// stream through the Kinesis API (POST URL/, PutRecords). The checkpoint
// file lets a restarted agent go on where the server's acknowledgements
// left off. SIGINT/SIGTERM deliver the batch at hand, write the checkpoint
// and exit 0.
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "promorec/agent/agent.h"
#include "promorec/agent/http_client.h"
#include "promorec/agent/sink.h"
#include "promorec/agent/tail_fs.h"
#include "promorec/app/commands.h"
#include "promorec/app/stop_signals.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"

namespace promorec::app {
namespace {

struct AgentCommandOptions {
  std::string watch;
  std::string to;
  std::string stream;
  std::string format = "click";
  std::string checkpoint;
  std::size_t batch_records = 500;
  std::size_t batch_bytes = 1 << 20;
  unsigned batch_age_ms = 1000;
  unsigned poll_ms = 250;
  unsigned max_backoff_ms = 10'000;
  unsigned stop_timeout_ms = 10'000;
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "promorec agent: %s\n", message.c_str());
  return code;
}

int RunAgent(const AgentCommandOptions& o) {
  auto format = agent::ParseLineFormat(o.format);
  if (!format) return Fail(kExitUnavailable, "--format: " + format.error().message());
  if (*format == agent::LineFormat::kKasandr && o.stream.empty()) {
    return Fail(kExitUnavailable,
                "--format kasandr needs --stream NAME: POST /v1/events reads classic click "
                "lines and JSON, not KASANDR lines");
  }
  auto url = agent::HttpUrl::Parse(o.to);
  if (!url) return Fail(kExitUnavailable, "--to: " + url.error().message());
  if (o.batch_records == 0 || o.batch_bytes == 0) {
    return Fail(kExitUnavailable, "--batch-records and --batch-bytes must be positive");
  }

  agent::AgentOptions options;
  options.watch = o.watch;
  options.format = *format;
  options.checkpoint_path = o.checkpoint;
  options.batch.max_records = o.batch_records;
  options.batch.max_bytes = o.batch_bytes;
  options.batch.max_age = std::chrono::milliseconds(o.batch_age_ms);
  options.poll = std::chrono::milliseconds(std::max(1u, o.poll_ms));
  options.backoff.max = std::chrono::milliseconds(std::max(1u, o.max_backoff_ms));
  options.backoff.initial = std::min(options.backoff.initial, options.backoff.max);
  options.stop_timeout = std::chrono::milliseconds(o.stop_timeout_ms);
  options.seed = static_cast<std::uint64_t>(::getpid()) ^
                 static_cast<std::uint64_t>(base::RealClock().NowMicros());
  if (!o.stream.empty()) {
    // PutRecords takes 500 records and 5 MiB at most; base64 makes 3 MiB
    // of lines about 4 MiB.
    options.batch.max_records = std::min(options.batch.max_records, agent::kMaxPutRecords);
    options.batch.max_bytes = std::min<std::size_t>(options.batch.max_bytes, 3 << 20);
  }
  if (o.checkpoint.empty()) {
    std::fprintf(stderr,
                 "promorec agent: no --checkpoint: a restart sends every file from its "
                 "beginning again\n");
  }

  agent::HttpClientOptions http_options;
  http_options.request_timeout = std::chrono::milliseconds(10'000);
  agent::HttpClient client(*url, http_options);
  const std::unique_ptr<agent::Sink> sink =
      o.stream.empty() ? agent::NewEventsSink(client, *format)
                       : agent::NewKinesisSink(client, o.stream, *format, base::RealClock());

  StopSignals signals;  // before the worker thread starts
  auto opened = agent::Agent::Open(agent::PosixTailFs(), base::DefaultEnv(), base::RealClock(),
                                   *sink, options);
  if (!opened) return Fail(kExitFailure, opened.error().ToString());
  agent::Agent& shipper = **opened;
  std::fprintf(stderr, "promorec agent: shipping %s (%s lines) to %s\n", o.watch.c_str(),
               o.format.c_str(), sink->Describe().c_str());

  std::atomic<bool> stop{false};
  base::Status outcome;
  std::thread worker([&] {
    try {
      outcome = shipper.Run(stop);
    } catch (const std::exception& e) {
      outcome = base::MakeError(base::Code::kInternal, e.what());
    }
    // Ended on its own (a fatal error): wake the main thread's wait.
    if (!stop.load()) ::kill(::getpid(), SIGTERM);
  });
  const int received = signals.Wait();
  stop.store(true);
  worker.join();

  const agent::AgentStats& s = shipper.stats();
  const agent::TailerStats& t = shipper.tailer_stats();
  std::fprintf(stderr,
               "promorec agent: %s; %llu lines sent in %llu batches, %llu rejected by the "
               "server, %llu failed sends retried, %llu files followed, %llu rotations, %llu "
               "truncations, %llu lines too long\n",
               outcome ? ("stopped (signal " + std::to_string(received) + ")").c_str()
                       : "stopped on an error",
               static_cast<unsigned long long>(s.lines_sent),
               static_cast<unsigned long long>(s.batches_sent),
               static_cast<unsigned long long>(s.lines_rejected),
               static_cast<unsigned long long>(s.failed_sends),
               static_cast<unsigned long long>(t.files_opened),
               static_cast<unsigned long long>(t.rotations),
               static_cast<unsigned long long>(t.truncations),
               static_cast<unsigned long long>(t.lines_too_long));
  if (!outcome) return Fail(kExitFailure, outcome.error().ToString());
  return kExitOk;
}

}  // namespace

void RegisterAgentCommand(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<AgentCommandOptions>();
  CLI::App* c = app.add_subcommand("agent", "tail log files and ship their events to a server");
  c->add_option("--watch", o->watch,
                "glob of the files to tail, quoted (e.g. '/var/log/shop/clicks*.log'); let it "
                "match rotated names too")
      ->required();
  c->add_option("--to", o->to, "server URL, http://HOST:PORT")->required();
  c->add_option("--stream", o->stream,
                "send to this Kinesis stream (PutRecords on URL/) instead of URL/v1/events");
  c->add_option("--format", o->format, "click, kasandr (only with --stream) or json")
      ->capture_default_str();
  c->add_option("--checkpoint", o->checkpoint,
                "file recording what the server has acknowledged, per file");
  c->add_option("--batch-records", o->batch_records,
                "lines per batch at most (500 at most with --stream)")
      ->capture_default_str();
  c->add_option("--batch-bytes", o->batch_bytes, "line bytes per batch at most")
      ->capture_default_str();
  c->add_option("--batch-age-ms", o->batch_age_ms,
                "send a batch at the latest this long after "
                "its first line")
      ->capture_default_str();
  c->add_option("--poll-ms", o->poll_ms, "how often to look for new files and new lines")
      ->capture_default_str();
  c->add_option("--max-backoff-ms", o->max_backoff_ms, "longest wait between failed sends")
      ->capture_default_str();
  c->add_option("--stop-timeout-ms", o->stop_timeout_ms,
                "on SIGTERM, how long to keep trying to deliver the last batch")
      ->capture_default_str();
  c->callback([o, &result] { result.exit_code = RunAgent(*o); });
}

}  // namespace promorec::app
