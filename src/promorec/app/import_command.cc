// `promorec import`: reads event files, validates every record, reports
// counts, and keeps rejected records in the data directory's dead-letter
// folder.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "promorec/app/cli_util.h"
#include "promorec/app/commands.h"
#include "promorec/app/import_report.h"
#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/event/dead_letter.h"
#include "promorec/event/event_file.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/metrics/registry.h"

namespace promorec::app {
namespace {

// Events per append: large enough that the fsync cost is shared widely.
constexpr std::size_t kAppendBatchRecords = 2000;

struct ImportOptions {
  std::string format;
  std::vector<std::string> files;
  std::string data_dir;
  std::string dead_letter_path;
  std::string stream = std::string(ingest::kClickStream);
  bool json = false;
  bool progress = true;
  int show_rejections = 10;
};

// Opens the dead-letter file on the first rejection, so that a clean import
// leaves nothing behind, and echoes the first few rejections to stderr.
class ImportDeadLetter final : public event::DeadLetterSink {
 public:
  ImportDeadLetter(base::Env& env, std::string path, int echo_limit)
      : env_(env), path_(std::move(path)), echo_limit_(echo_limit) {}

  void Put(const event::Rejection& rejection) override {
    if (echoed_ < echo_limit_) {
      std::fprintf(stderr, "rejected: %s\n", rejection.ToString().c_str());
      ++echoed_;
    }
    if (!file_ && !open_error_) {
      const auto slash = path_.rfind('/');
      auto dir =
          slash == std::string::npos ? base::Status() : env_.CreateDirs(path_.substr(0, slash));
      auto opened = dir ? event::FileDeadLetter::Open(env_, path_) : std::unexpected(dir.error());
      if (opened) {
        file_ = std::move(*opened);
      } else {
        open_error_ = opened.error();
      }
    }
    if (file_) file_->Put(rejection);
  }

  base::Status Close() {
    if (open_error_) return std::unexpected(*open_error_);
    if (file_) return file_->Close();
    return {};
  }
  bool used() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  base::Env& env_;
  std::string path_;
  int echo_limit_;
  int echoed_ = 0;
  std::unique_ptr<event::FileDeadLetter> file_;
  std::optional<base::Error> open_error_;
};

std::string DefaultDeadLetterPath(const std::string& data_dir) {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return data_dir + "/deadletter/import-" + stamp + "-" + std::to_string(getpid()) + ".ndjson";
}

int RunImport(const ImportOptions& options) {
  auto format = event::ParseInputFormat(options.format);
  if (!format) {
    std::fprintf(stderr, "promorec import: --format: %s\n", format.error().message().c_str());
    return kExitUnavailable;
  }
  base::Env& env = base::DefaultEnv();
  ImportDeadLetter dead_letter(env,
                               options.dead_letter_path.empty()
                                   ? DefaultDeadLetterPath(options.data_dir)
                                   : options.dead_letter_path,
                               options.show_rejections);
  const bool show_progress = options.progress && isatty(STDERR_FILENO) == 1;
  auto store =
      eventlog::LocalStreamStore::Open(env, base::RealClock(), options.data_dir + "/streams");
  auto stream =
      store ? ingest::OpenOrCreateStream(**store, options.stream, ingest::kClickStreamShards)
            : base::Result<std::shared_ptr<eventlog::Stream>>(std::unexpected(store.error()));
  if (!stream) {
    std::fprintf(stderr, "promorec import: cannot open stream %s: %s\n", options.stream.c_str(),
                 stream.error().ToString().c_str());
    return kExitFailure;
  }
  const eventlog::RecoveryReport recovered = (*store)->recovery_report();
  if (!recovered.findings.empty()) {
    std::fprintf(stderr, "promorec import: recovery of stream %s:\n%s", options.stream.c_str(),
                 recovered.ToText().c_str());
  }
  // Counted like any other ingest, though nothing here shows the counters.
  metrics::Registry registry;
  ingest::EventWriter writer(*stream, registry);
  ingest::BufferedWriter appender(writer, kAppendBatchRecords);
  ImportReport report;
  report.set_stream(options.stream);
  const auto started = std::chrono::steady_clock::now();
  int exit_code = kExitOk;
  for (const std::string& path : options.files) {
    ProgressLine progress(show_progress, BaseName(path));
    auto stats = event::ReadEventFile(
        env, path, BaseName(path), *format,
        // A failed append is kept by the appender and reported below; the
        // rest of the file is still validated and counted.
        [&appender](const event::ClickEvent& e) { (void)appender.Add(e); }, dead_letter,
        [&progress](std::uint64_t bytes, std::uint64_t rows) { progress.Update(bytes, rows); });
    progress.Finish();
    if (!stats) {
      std::fprintf(stderr, "promorec import: %s\n", stats.error().ToString().c_str());
      report.AddFailedFile(path, stats.error().ToString());
      exit_code = kExitFailure;
      continue;
    }
    report.AddFile(path, *stats);
  }
  if (auto flushed = appender.Flush(); !flushed) {
    std::fprintf(stderr, "promorec import: %s\n", flushed.error().ToString().c_str());
    exit_code = kExitFailure;
  }
  report.set_stored(appender.stored());
  // Retention runs whenever the log is written; a server also runs it on a
  // schedule.
  if (auto retained = (*stream)->EnforceRetention(); !retained) {
    std::fprintf(stderr, "promorec import: retention: %s\n", retained.error().ToString().c_str());
  } else if (retained->segments_deleted > 0) {
    std::fprintf(stderr, "promorec import: retention deleted %u old segments (%llu bytes)\n",
                 retained->segments_deleted,
                 static_cast<unsigned long long>(retained->bytes_deleted));
  }
  report.set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (auto closed = dead_letter.Close(); !closed) {
    std::fprintf(stderr, "promorec import: %s\n", closed.error().ToString().c_str());
    exit_code = kExitFailure;
  }
  if (dead_letter.used()) report.set_dead_letter(dead_letter.path());
  std::string out = options.json ? report.ToJson() : report.ToText();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return exit_code;
}

}  // namespace

void RegisterImportCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<ImportOptions>();
  CLI::App* command = app.add_subcommand(
      "import",
      "validate event files and append the good events to the event log; rejected records go "
      "to the dead-letter folder");
  command->add_option("--format", options->format, "input format: click, kasandr or json")
      ->required();
  command->add_option("files", options->files, "files to import")->required();
  command->add_flag("--json", options->json, "print the summary as one JSON object");
  AddDataDirOption(*command, &options->data_dir);
  command->add_option(
      "--dead-letter", options->dead_letter_path,
      "file for rejected records (default: DATA_DIR/deadletter/import-TIME.ndjson)");
  command
      ->add_option("--stream", options->stream,
                   "stream to append to (created with 4 shards if missing)")
      ->capture_default_str();
  command
      ->add_option("--show-rejections", options->show_rejections,
                   "how many rejections to print on stderr")
      ->capture_default_str();
  command->add_flag("!--no-progress", options->progress, "no progress line on a terminal");
  command->callback([options, &result] { result.exit_code = RunImport(*options); });
}

}  // namespace promorec::app
