// The embedded backend: streams as folders of segment files under one
// directory (DATA_DIR/streams), in the format of docs/formats/eventlog.md.
// Thread-safety: the store and its streams are safe from many threads. One
// process at a time may open a store directory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/eventlog/recovery_report.h"
#include "promorec/eventlog/stream.h"
#include "promorec/eventlog/stream_meta.h"

namespace promorec::eventlog {

inline constexpr std::string_view kLockFileName = "LOCK";

class LocalStreamStore final : public StreamStore {
 public:
  // `root` is created if missing. `env` and `clock` must outlive the store.
  // Takes root/LOCK: kUnavailable while another process has the store open.
  [[nodiscard]] static base::Result<std::unique_ptr<LocalStreamStore>> Open(base::Env& env,
                                                                            base::Clock& clock,
                                                                            std::string root);

  [[nodiscard]] base::Result<std::shared_ptr<Stream>> CreateStream(
      std::string_view name, const StreamOptions& options) override;
  [[nodiscard]] base::Result<std::shared_ptr<Stream>> OpenStream(std::string_view name) override;
  base::Result<std::vector<std::string>> ListStreams() override;
  [[nodiscard]] base::Status DeleteStream(std::string_view name) override;

  // What recovery found while opening streams so far.
  RecoveryReport recovery_report();

 private:
  LocalStreamStore(base::Env& env, base::Clock& clock, std::string root,
                   std::unique_ptr<base::FileLock> lock)
      : env_(env), clock_(clock), root_(std::move(root)), lock_(std::move(lock)) {}

  base::Env& env_;
  base::Clock& clock_;
  const std::string root_;
  std::unique_ptr<base::FileLock> lock_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Stream>, std::less<>> open_;
  RecoveryReport report_;
};

// Names of the stream folders under `root` (those holding a STREAM file),
// sorted; empty when `root` does not exist.
[[nodiscard]] base::Result<std::vector<std::string>> ListStreamDirs(base::Env& env,
                                                                    const std::string& root);

struct StreamStat {
  std::string name;
  StreamOptions options;
  std::int64_t created_us = 0;
  std::vector<ShardInfo> shards;
  std::vector<ConsumerCheckpoint> checkpoints;
};

// Streams, shards and consumer checkpoints under `root`, read without
// changing anything (works while a server has the store open).
[[nodiscard]] base::Result<std::vector<StreamStat>> StatStreams(base::Env& env,
                                                                const std::string& root);

// Checks every stream under `root` without changing anything: the same
// checks as recovery, plus checkpoints. For `promorec log check`.
[[nodiscard]] base::Result<RecoveryReport> CheckStreams(base::Env& env, const std::string& root);

}  // namespace promorec::eventlog
