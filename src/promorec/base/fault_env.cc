#include "promorec/base/fault_env.h"

#include <algorithm>
#include <utility>

namespace promorec::base {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv& env, std::string path, std::unique_ptr<WritableFile> inner)
      : env_(env),
        path_(std::move(path)),
        inner_(std::move(inner)),
        generation_(env.generation()) {}

  Status Append(std::string_view data) override {
    env_.appends_.fetch_add(1);
    PROMOREC_RETURN_IF_ERROR(CheckAlive("append to"));
    FaultInjectionEnv::AppendPlan plan = env_.PlanAppend(path_, data.size());
    if (plan.write_bytes > 0) {
      PROMOREC_RETURN_IF_ERROR(inner_->Append(data.substr(0, plan.write_bytes)));
      PROMOREC_RETURN_IF_ERROR(inner_->Flush());
    }
    if (plan.error) return std::unexpected(std::move(*plan.error));
    return OkStatus();
  }

  Status Flush() override {
    PROMOREC_RETURN_IF_ERROR(CheckAlive("flush"));
    return inner_->Flush();
  }

  Status Sync() override {
    env_.syncs_.fetch_add(1);
    PROMOREC_RETURN_IF_ERROR(CheckAlive("sync"));
    PROMOREC_RETURN_IF_ERROR(env_.CheckSync(path_));
    PROMOREC_RETURN_IF_ERROR(inner_->Sync());
    env_.RecordSync(path_, inner_->Size());
    return OkStatus();
  }

  Status Close() override {
    PROMOREC_RETURN_IF_ERROR(CheckAlive("close"));
    return inner_->Close();
  }

  uint64_t Size() const override { return inner_->Size(); }

 private:
  Status CheckAlive(std::string_view op) const {
    if (generation_ == env_.generation()) return OkStatus();
    return IoError(std::string(op) + " " + path_ + ": file handle lost in simulated power cut");
  }

  FaultInjectionEnv& env_;
  std::string path_;
  std::unique_ptr<WritableFile> inner_;
  uint64_t generation_;
};

void FaultInjectionEnv::FailSyncs(bool on) {
  std::lock_guard lock(mu_);
  fail_syncs_ = on;
}

void FaultInjectionEnv::SetShortWrite(size_t max_bytes) {
  std::lock_guard lock(mu_);
  short_write_ = max_bytes;
}

void FaultInjectionEnv::SetSpaceLimit(uint64_t bytes) {
  std::lock_guard lock(mu_);
  space_limit_ = bytes;
}

void FaultInjectionEnv::FailWritesAfter(uint64_t n_appends) {
  std::lock_guard lock(mu_);
  appends_before_failure_ = n_appends;
}

void FaultInjectionEnv::ClearFaults() {
  std::lock_guard lock(mu_);
  fail_syncs_ = false;
  short_write_.reset();
  space_limit_ = std::numeric_limits<uint64_t>::max();
  appends_before_failure_.reset();
}

uint64_t FaultInjectionEnv::bytes_appended() const {
  std::lock_guard lock(mu_);
  return bytes_appended_;
}

FaultInjectionEnv::AppendPlan FaultInjectionEnv::PlanAppend(const std::string& path, size_t size) {
  std::lock_guard lock(mu_);
  if (appends_before_failure_) {
    if (*appends_before_failure_ == 0) {
      return {0, Error(Code::kIoError, "append to " + path + ": injected write failure")};
    }
    --*appends_before_failure_;
  }
  AppendPlan plan{size, std::nullopt};
  if (short_write_) {
    plan.write_bytes = std::min(size, *short_write_);
    plan.error = Error(Code::kIoError, "append to " + path + ": injected short write (" +
                                           std::to_string(plan.write_bytes) + " of " +
                                           std::to_string(size) + " bytes written)");
    short_write_.reset();
  }
  const uint64_t room = space_limit_ - std::min(space_limit_, bytes_appended_);
  if (plan.write_bytes > room) {
    plan.write_bytes = static_cast<size_t>(room);
    plan.error = Error(Code::kNoSpace, "append to " + path + ": No space left on device");
  }
  // Counted before the write happens so that concurrent appenders cannot
  // both claim the last free bytes.
  bytes_appended_ += plan.write_bytes;
  return plan;
}

Status FaultInjectionEnv::CheckSync(const std::string& path) {
  std::lock_guard lock(mu_);
  if (fail_syncs_) return IoError("sync " + path + ": injected fsync failure");
  return OkStatus();
}

void FaultInjectionEnv::RecordSync(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  synced_size_[path] = size;
}

Status FaultInjectionEnv::DropUnsyncedData() {
  generation_.fetch_add(1);
  std::map<std::string, uint64_t> synced;
  {
    std::lock_guard lock(mu_);
    synced = synced_size_;
  }
  for (const auto& [path, durable] : synced) {
    PROMOREC_ASSIGN_OR_RETURN(const bool exists, base_.FileExists(path));
    if (!exists) continue;
    PROMOREC_ASSIGN_OR_RETURN(const uint64_t size, base_.FileSize(path));
    if (size > durable) {
      if (Status st = base_.TruncateFile(path, durable); !st) {
        return std::unexpected(std::move(st).error().WithContext("simulated power cut"));
      }
    }
  }
  return OkStatus();
}

Result<std::unique_ptr<SequentialFile>> FaultInjectionEnv::NewSequentialFile(
    const std::string& path) {
  return base_.NewSequentialFile(path);
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  return base_.NewRandomAccessFile(path);
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(auto inner, base_.NewWritableFile(path));
  {
    // Truncation is not durable either; after a crash the file may be empty.
    std::lock_guard lock(mu_);
    synced_size_[path] = 0;
  }
  return std::make_unique<FaultWritableFile>(*this, path, std::move(inner));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(auto inner, base_.NewAppendableFile(path));
  {
    // What was there before this Env touched the file counts as durable.
    std::lock_guard lock(mu_);
    synced_size_.try_emplace(path, inner->Size());
  }
  return std::make_unique<FaultWritableFile>(*this, path, std::move(inner));
}

Result<bool> FaultInjectionEnv::FileExists(const std::string& path) {
  return base_.FileExists(path);
}

Result<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  return base_.FileSize(path);
}

Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  return base_.ListDir(dir);
}

Status FaultInjectionEnv::CreateDirs(const std::string& dir) { return base_.CreateDirs(dir); }

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  PROMOREC_RETURN_IF_ERROR(base_.RemoveFile(path));
  std::lock_guard lock(mu_);
  synced_size_.erase(path);
  return OkStatus();
}

Status FaultInjectionEnv::RemoveDir(const std::string& dir) { return base_.RemoveDir(dir); }

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  PROMOREC_RETURN_IF_ERROR(base_.RenameFile(from, to));
  std::lock_guard lock(mu_);
  // The target now holds whatever `from` held, durable or not.
  synced_size_.erase(to);
  if (const auto it = synced_size_.find(from); it != synced_size_.end()) {
    synced_size_.emplace(to, it->second);
    synced_size_.erase(it);
  }
  return OkStatus();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  PROMOREC_RETURN_IF_ERROR(base_.TruncateFile(path, size));
  std::lock_guard lock(mu_);
  if (const auto it = synced_size_.find(path); it != synced_size_.end()) {
    it->second = std::min(it->second, size);
  }
  return OkStatus();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) { return base_.SyncDir(dir); }

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  return base_.LockFile(path);
}

}  // namespace promorec::base
