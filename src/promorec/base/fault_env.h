// An Env wrapper that injects the storage failures crash-safe code must
// survive: failed fsyncs, torn (short) writes, a full disk, failing writes and
// power cuts that lose everything not yet synced.
//
// Writes through this Env are handed to the wrapped Env immediately (every
// Append is followed by a Flush), so "bytes in the file" and "bytes the OS
// has" are the same thing and DropUnsyncedData can cut exactly at the last
// successful Sync. Only files written through this Env are tracked; files it
// never opened for writing are treated as durable.
//
// Thread-safety: the Env and its controls are safe to use from many threads;
// file objects follow the contract in env.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "promorec/base/env.h"

namespace promorec::base {

class FaultInjectionEnv final : public Env {
 public:
  // `base` must outlive this Env and every file it opens.
  explicit FaultInjectionEnv(Env& base) : base_(base) {}

  // While on, Sync fails with an I/O error and does not advance the durable
  // size, like an fsync that hit a bad disk.
  void FailSyncs(bool on);
  // The next Append writes only its first `max_bytes` bytes and then fails:
  // a torn write. One-shot.
  void SetShortWrite(size_t max_bytes);
  // Appends through this Env beyond `bytes` in total fail with kNoSpace; an
  // Append that crosses the limit writes the part that fits.
  void SetSpaceLimit(uint64_t bytes);
  // After `n_appends` more successful Appends, every Append fails with an
  // I/O error and writes nothing, until ClearFaults.
  void FailWritesAfter(uint64_t n_appends);
  // Turns every fault off; counters and durable sizes are kept.
  void ClearFaults();

  // Simulates a power cut: every file written through this Env is cut back
  // to its size at its last successful Sync (never synced: empty). File
  // objects opened before the cut fail every later call, as their process
  // would be gone.
  [[nodiscard]] Status DropUnsyncedData();

  // Calls made, including failed ones.
  uint64_t syncs() const { return syncs_.load(); }
  uint64_t appends() const { return appends_.load(); }
  // Bytes actually appended through this Env.
  uint64_t bytes_appended() const;

  [[nodiscard]] Result<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  [[nodiscard]] Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  [[nodiscard]] Result<bool> FileExists(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  [[nodiscard]] Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  [[nodiscard]] Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& dir) override;
  [[nodiscard]] Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  [[nodiscard]] Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  friend class FaultWritableFile;

  // How much of an Append may be written, and the error to report after.
  struct AppendPlan {
    size_t write_bytes;
    std::optional<Error> error;
  };
  AppendPlan PlanAppend(const std::string& path, size_t size);
  [[nodiscard]] Status CheckSync(const std::string& path);
  void RecordSync(const std::string& path, uint64_t size);
  uint64_t generation() const { return generation_.load(); }

  Env& base_;
  std::atomic<uint64_t> syncs_{0};
  std::atomic<uint64_t> appends_{0};
  // Bumped by DropUnsyncedData so that older file objects know they are dead.
  std::atomic<uint64_t> generation_{0};

  mutable std::mutex mu_;
  bool fail_syncs_ = false;
  std::optional<size_t> short_write_;
  uint64_t space_limit_ = std::numeric_limits<uint64_t>::max();
  std::optional<uint64_t> appends_before_failure_;
  uint64_t bytes_appended_ = 0;
  // Durable size of each file written through this Env.
  std::map<std::string, uint64_t> synced_size_;
};

}  // namespace promorec::base
