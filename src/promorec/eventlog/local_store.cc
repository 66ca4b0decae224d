#include "promorec/eventlog/local_store.h"

#include "promorec/eventlog/checkpoint_file.h"
#include "promorec/eventlog/local_stream.h"
#include "promorec/eventlog/shard_recovery.h"
#include "promorec/eventlog/stream_meta.h"

namespace promorec::eventlog {

base::Result<std::unique_ptr<LocalStreamStore>> LocalStreamStore::Open(base::Env& env,
                                                                       base::Clock& clock,
                                                                       std::string root) {
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(root));
  PROMOREC_ASSIGN_OR_RETURN(auto lock, env.LockFile(root + "/" + std::string(kLockFileName)));
  return std::unique_ptr<LocalStreamStore>(
      new LocalStreamStore(env, clock, std::move(root), std::move(lock)));
}

base::Result<std::shared_ptr<Stream>> LocalStreamStore::CreateStream(std::string_view name,
                                                                     const StreamOptions& options) {
  PROMOREC_RETURN_IF_ERROR(ValidateStreamName(name));
  PROMOREC_RETURN_IF_ERROR(options.Validate());
  std::lock_guard lock(mu_);
  const std::string dir = root_ + "/" + std::string(name);
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env_.FileExists(dir + "/STREAM"));
  if (exists) {
    return base::MakeError(base::Code::kAlreadyExists,
                           "stream " + std::string(name) + " already exists");
  }
  PROMOREC_RETURN_IF_ERROR(env_.CreateDirs(dir));
  PROMOREC_RETURN_IF_ERROR(
      WriteStreamMeta(env_, dir, StreamMeta{std::string(name), options, clock_.NowMicros()}));
  PROMOREC_RETURN_IF_ERROR(env_.SyncDir(root_));
  RecoveryReport report;
  PROMOREC_ASSIGN_OR_RETURN(auto stream, LocalStream::Open(env_, clock_, dir, &report));
  report_.Append(report);
  open_.emplace(std::string(name), stream);
  return std::shared_ptr<Stream>(std::move(stream));
}

base::Result<std::shared_ptr<Stream>> LocalStreamStore::OpenStream(std::string_view name) {
  PROMOREC_RETURN_IF_ERROR(ValidateStreamName(name));
  std::lock_guard lock(mu_);
  if (auto it = open_.find(name); it != open_.end()) return it->second;
  const std::string dir = root_ + "/" + std::string(name);
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env_.FileExists(dir + "/STREAM"));
  if (!exists) return base::NotFound("stream " + std::string(name) + " does not exist");
  RecoveryReport report;
  auto stream = LocalStream::Open(env_, clock_, dir, &report);
  report_.Append(report);
  if (!stream) return std::unexpected(stream.error());
  open_.emplace(std::string(name), *stream);
  return std::shared_ptr<Stream>(std::move(*stream));
}

base::Result<std::vector<std::string>> ListStreamDirs(base::Env& env, const std::string& root) {
  std::vector<std::string> out;
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(root));
  if (!exists) return out;
  PROMOREC_ASSIGN_OR_RETURN(const auto names, env.ListDir(root));
  for (const std::string& name : names) {
    if (name == kLockFileName) continue;
    PROMOREC_ASSIGN_OR_RETURN(const bool has_meta, env.FileExists(root + "/" + name + "/STREAM"));
    if (has_meta) out.push_back(name);
  }
  return out;
}

base::Result<std::vector<std::string>> LocalStreamStore::ListStreams() {
  return ListStreamDirs(env_, root_);
}

base::Status LocalStreamStore::DeleteStream(std::string_view name) {
  PROMOREC_RETURN_IF_ERROR(ValidateStreamName(name));
  std::lock_guard lock(mu_);
  const std::string dir = root_ + "/" + std::string(name);
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env_.FileExists(dir + "/STREAM"));
  if (!exists) return base::NotFound("stream " + std::string(name) + " does not exist");
  if (auto it = open_.find(name); it != open_.end()) open_.erase(it);
  // Removing STREAM first makes a half-deleted stream invisible.
  PROMOREC_RETURN_IF_ERROR(env_.RemoveFile(dir + "/STREAM"));
  PROMOREC_RETURN_IF_ERROR(env_.SyncDir(dir));
  return base::RemoveTree(env_, dir);
}

RecoveryReport LocalStreamStore::recovery_report() {
  std::lock_guard lock(mu_);
  return report_;
}

base::Result<RecoveryReport> CheckStreams(base::Env& env, const std::string& root) {
  RecoveryReport report;
  PROMOREC_ASSIGN_OR_RETURN(const auto names, ListStreamDirs(env, root));
  for (const std::string& name : names) {
    const std::string dir = root + "/" + name;
    auto meta = ReadStreamMeta(env, dir);
    if (!meta) {
      report.Add(Finding{FindingKind::kBadMeta, dir + "/STREAM", 0, 0, meta.error().message()});
      continue;
    }
    for (std::uint32_t shard = 0; shard < meta->options.shard_count; ++shard) {
      const std::string shard_dir = dir + "/" + ShardDirName(shard);
      PROMOREC_ASSIGN_OR_RETURN(const bool shard_exists, env.FileExists(shard_dir));
      if (!shard_exists) continue;
      PROMOREC_RETURN_IF_ERROR(
          ScanShard(env, shard_dir, shard, false, &report, /*verify_sealed=*/true));
    }
    const std::string consumers = dir + "/consumers";
    PROMOREC_ASSIGN_OR_RETURN(const bool has_consumers, env.FileExists(consumers));
    if (!has_consumers) continue;
    PROMOREC_ASSIGN_OR_RETURN(const auto consumer_names, env.ListDir(consumers));
    for (const std::string& consumer : consumer_names) {
      PROMOREC_ASSIGN_OR_RETURN(const auto files, env.ListDir(consumers + "/" + consumer));
      for (const std::string& file : files) {
        if (!file.ends_with(".ckpt")) continue;
        const std::string path = consumers + "/" + consumer + "/" + file;
        auto checkpoint = ReadCheckpointFile(env, path);
        if (!checkpoint) {
          report.Add(Finding{
              FindingKind::kBadCheckpoint, path, 0, 0,
              checkpoint.error().message() + "; the consumer would start from the oldest record"});
        }
      }
    }
  }
  return report;
}

}  // namespace promorec::eventlog
