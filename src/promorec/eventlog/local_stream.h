// A stream of the embedded backend: its shards, consumer checkpoints and
// retention. Created and opened through LocalStreamStore.
// Thread-safety: all methods are safe from many threads.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/eventlog/commit_pool.h"
#include "promorec/eventlog/recovery_report.h"
#include "promorec/eventlog/shard.h"
#include "promorec/eventlog/stream.h"
#include "promorec/eventlog/stream_meta.h"

namespace promorec::eventlog {

class LocalStream final : public Stream {
 public:
  // Opens the stream in `dir` (whose STREAM file exists), recovering every
  // shard; findings go to `report`.
  [[nodiscard]] static base::Result<std::shared_ptr<LocalStream>> Open(base::Env& env,
                                                                       base::Clock& clock,
                                                                       std::string dir,
                                                                       RecoveryReport* report);

  const std::string& name() const override { return meta_.name; }
  StreamOptions options() const override;
  std::int64_t created_us() const override { return meta_.created_us; }

  [[nodiscard]] base::Result<std::vector<PutResult>> Append(
      std::span<const PutRecord> records) override;
  base::Status AppendInto(std::span<const PutRecord> records,
                          std::span<PutResult> results) override;
  [[nodiscard]] base::Status Sync() override;
  [[nodiscard]] base::Result<std::uint64_t> Resolve(std::uint32_t shard,
                                                    const IteratorSpec& spec) override;
  base::Result<ReadBatch> Read(std::uint32_t shard, std::uint64_t from_sequence,
                               const ReadLimits& limits) override;
  [[nodiscard]] base::Result<std::vector<ShardInfo>> DescribeShards() override;
  base::Result<bool> WaitForRecords(std::span<const std::uint64_t> next_sequences,
                                    std::int64_t timeout_us) override;
  [[nodiscard]] base::Status SaveCheckpoint(std::string_view consumer, std::uint32_t shard,
                                            std::uint64_t sequence) override;
  [[nodiscard]] base::Result<std::optional<std::uint64_t>> LoadCheckpoint(
      std::string_view consumer, std::uint32_t shard) override;
  [[nodiscard]] base::Result<std::vector<ConsumerCheckpoint>> ListCheckpoints() override;
  base::Status SetRetention(std::int64_t retention_us) override;
  [[nodiscard]] base::Result<RetentionResult> EnforceRetention() override;

  const std::string& dir() const { return dir_; }

  // `interval` durability: syncs every shard whose interval has passed on
  // the clock (Shard::SyncIfDue). A background thread per shard does this
  // by itself; tests call it after moving a fake clock.
  void SyncDueShards();

 private:
  LocalStream(base::Env& env, base::Clock& clock, std::string dir, StreamMeta meta)
      : env_(env), clock_(clock), dir_(std::move(dir)), meta_(std::move(meta)) {}
  [[nodiscard]] base::Result<Shard*> ShardAt(std::uint32_t shard);
  // Appends records already grouped by shard (see AppendInto).
  [[nodiscard]] base::Status AppendRouted(std::span<const PutRecord> records,
                                          std::span<PutResult> results,
                                          std::span<const std::uint32_t> indices,
                                          std::span<const std::uint32_t> starts,
                                          std::span<const std::uint32_t> involved);
  // The threads that commit shards side by side, started on first use.
  CommitPool& CommitHelpers();
  std::string CheckpointPath(std::string_view consumer, std::uint32_t shard) const;

  base::Env& env_;
  base::Clock& clock_;
  const std::string dir_;
  mutable std::mutex meta_mu_;  // guards meta_.options.retention_us
  StreamMeta meta_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Every append wakes WaitForRecords.
  std::mutex appended_mu_;
  std::condition_variable appended_cv_;
  std::mutex retention_mu_;
  std::once_flag pool_once_;
  std::unique_ptr<CommitPool> pool_;
};

// "shard-0003".
std::string ShardDirName(std::uint32_t shard);

}  // namespace promorec::eventlog
