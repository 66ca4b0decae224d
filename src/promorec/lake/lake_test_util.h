// Test helpers for the lake: an Env that stops working at a chosen step
// (a process killed between two file-system calls, or one call failing),
// and a reader that collects every record a table's data files hold.
// Test-only. Thread-safety: one test thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/lake/csv.h"
#include "promorec/lake/gzip.h"

namespace promorec::lake::testing {

// Counts every call that changes the file system (creating, appending,
// syncing, closing, renaming, removing files and folders) as one step. At
// step `at`, the call fails; in kCrash mode every later call fails too, as
// the process is gone (a torn crash writes the first half of an Append
// before dying); in kFailOnce mode later calls work again.
class StepEnv final : public base::Env {
 public:
  enum class Mode { kOff, kCrash, kCrashTorn, kFailOnce };

  explicit StepEnv(base::Env& base) : base_(base) {}

  void Arm(Mode mode, std::uint64_t at) {
    mode_ = mode;
    at_ = at;
    steps_ = 0;
    dead_ = false;
    fired_ = false;
    match_left_ = 0;
  }
  // Crashes at the `nth` step whose description starts with `prefix` and
  // ends with `suffix` ("rename ", ".csv.gz.tmp": the renames of data
  // files) instead of at a number.
  void ArmOn(std::string prefix, std::string suffix, std::uint64_t nth) {
    Arm(Mode::kCrash, 0);
    match_prefix_ = std::move(prefix);
    match_suffix_ = std::move(suffix);
    match_left_ = nth;
  }
  std::uint64_t steps() const { return steps_; }
  bool fired() const { return fired_; }
  // What the failed step was ("rename /x/.t.tmp", "fsync /x/_journal").
  const std::string& fired_what() const { return fired_what_; }

  // Returns an error when this step is the one to fail (or the process is
  // dead); `torn` is set when an Append should write half and then fail.
  base::Status Step(const std::string& what, bool* torn = nullptr) {
    if (dead_) return base::IoError(what + ": process is dead");
    ++steps_;
    if (match_left_ > 0 && what.starts_with(match_prefix_) && what.ends_with(match_suffix_) &&
        --match_left_ == 0) {
      at_ = steps_;
    }
    if (mode_ == Mode::kOff || steps_ != at_) return base::OkStatus();
    fired_ = true;
    fired_what_ = what;
    if (mode_ != Mode::kFailOnce) dead_ = true;
    if (torn != nullptr) *torn = mode_ == Mode::kCrashTorn;
    return base::IoError(what + ": injected failure at step " + std::to_string(steps_));
  }
  base::Status Alive(const std::string& what) const {
    if (dead_) return base::IoError(what + ": process is dead");
    return base::OkStatus();
  }

  base::Result<std::unique_ptr<base::SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Alive("open " + path));
    return base_.NewSequentialFile(path);
  }
  base::Result<std::unique_ptr<base::RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Alive("open " + path));
    return base_.NewRandomAccessFile(path);
  }
  base::Result<std::unique_ptr<base::WritableFile>> NewWritableFile(
      const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Step("create " + path));
    PROMOREC_ASSIGN_OR_RETURN(auto inner, base_.NewWritableFile(path));
    return std::unique_ptr<base::WritableFile>(new File(*this, path, std::move(inner)));
  }
  base::Result<std::unique_ptr<base::WritableFile>> NewAppendableFile(
      const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Step("open for append " + path));
    PROMOREC_ASSIGN_OR_RETURN(auto inner, base_.NewAppendableFile(path));
    return std::unique_ptr<base::WritableFile>(new File(*this, path, std::move(inner)));
  }
  base::Result<bool> FileExists(const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Alive("stat " + path));
    return base_.FileExists(path);
  }
  base::Result<std::uint64_t> FileSize(const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Alive("stat " + path));
    return base_.FileSize(path);
  }
  base::Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    PROMOREC_RETURN_IF_ERROR(Alive("list " + dir));
    return base_.ListDir(dir);
  }
  base::Status CreateDirs(const std::string& dir) override {
    PROMOREC_RETURN_IF_ERROR(Step("mkdir " + dir));
    return base_.CreateDirs(dir);
  }
  base::Status RemoveFile(const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Step("unlink " + path));
    return base_.RemoveFile(path);
  }
  base::Status RemoveDir(const std::string& dir) override {
    PROMOREC_RETURN_IF_ERROR(Step("rmdir " + dir));
    return base_.RemoveDir(dir);
  }
  base::Status RenameFile(const std::string& from, const std::string& to) override {
    PROMOREC_RETURN_IF_ERROR(Step("rename " + from));
    return base_.RenameFile(from, to);
  }
  base::Status TruncateFile(const std::string& path, std::uint64_t size) override {
    PROMOREC_RETURN_IF_ERROR(Step("truncate " + path));
    return base_.TruncateFile(path, size);
  }
  base::Status SyncDir(const std::string& dir) override {
    PROMOREC_RETURN_IF_ERROR(Step("fsync dir " + dir));
    return base_.SyncDir(dir);
  }
  base::Result<std::unique_ptr<base::FileLock>> LockFile(const std::string& path) override {
    PROMOREC_RETURN_IF_ERROR(Alive("lock " + path));
    return base_.LockFile(path);
  }

 private:
  class File final : public base::WritableFile {
   public:
    File(StepEnv& env, std::string path, std::unique_ptr<base::WritableFile> inner)
        : env_(env), path_(std::move(path)), inner_(std::move(inner)) {}
    base::Status Append(std::string_view data) override {
      bool torn = false;
      if (base::Status st = env_.Step("append " + path_, &torn); !st) {
        if (torn) (void)inner_->Append(data.substr(0, data.size() / 2));
        return st;
      }
      return inner_->Append(data);
    }
    base::Status Flush() override {
      PROMOREC_RETURN_IF_ERROR(env_.Alive("flush " + path_));
      return inner_->Flush();
    }
    base::Status Sync() override {
      PROMOREC_RETURN_IF_ERROR(env_.Step("fsync " + path_));
      return inner_->Sync();
    }
    base::Status Close() override {
      PROMOREC_RETURN_IF_ERROR(env_.Step("close " + path_));
      return inner_->Close();
    }
    std::uint64_t Size() const override { return inner_->Size(); }

   private:
    StepEnv& env_;
    std::string path_;
    std::unique_ptr<base::WritableFile> inner_;
  };

  base::Env& base_;
  Mode mode_ = Mode::kOff;
  std::uint64_t at_ = 0;
  std::uint64_t steps_ = 0;
  bool dead_ = false;
  bool fired_ = false;
  std::string fired_what_;
  std::string match_prefix_;
  std::string match_suffix_;
  std::uint64_t match_left_ = 0;
};

// Every file under `root`, as paths relative to it.
inline std::vector<std::string> ListTree(base::Env& env, const std::string& root) {
  std::vector<std::string> out;
  auto names = env.ListDir(root);
  if (!names) return out;
  for (const std::string& name : *names) {
    const std::string path = root + "/" + name;
    std::vector<std::string> below = ListTree(env, path);
    if (env.ListDir(path).has_value()) {
      for (const std::string& sub : below) out.push_back(name + "/" + sub);
    } else {
      out.push_back(name);
    }
  }
  return out;
}

struct LakeContents {
  // partition path -> records (fields; NULL as "<null>"), in file order.
  std::map<std::string, std::vector<std::vector<std::string>>> rows;
  std::map<std::string, std::uint64_t> files_per_partition;
  std::map<std::string, std::uint64_t> bytes_per_partition;
  std::vector<std::string> temp_files;  // anything ending in .tmp
  std::vector<std::string> problems;    // files that do not read
};

// Reads every `*.csv.gz` data file of `<lake_dir>/<table>`; the header line
// must equal `header` (column names joined by ',').
inline LakeContents ReadLakeTable(base::Env& env, const std::string& lake_dir,
                                  const std::string& table, const std::string& header) {
  LakeContents out;
  const std::string table_dir = lake_dir + "/" + table;
  for (const std::string& rel : ListTree(env, table_dir)) {
    if (rel.ends_with(".tmp")) out.temp_files.push_back(rel);
    if (!rel.ends_with(".csv.gz") || rel.rfind('/') == std::string::npos) continue;
    const std::string partition = rel.substr(0, rel.rfind('/'));
    auto gz = base::ReadFileToString(env, table_dir + "/" + rel);
    if (!gz) {
      out.problems.push_back(rel + ": " + gz.error().ToString());
      continue;
    }
    auto csv = GzipDecompress(*gz);
    if (!csv) {
      out.problems.push_back(rel + ": " + csv.error().ToString());
      continue;
    }
    auto records = ParseCsv(*csv);
    if (!records || records->empty()) {
      out.problems.push_back(rel + ": " + (records ? "no header" : records.error().ToString()));
      continue;
    }
    std::string got_header;
    for (const CsvField& f : records->front()) {
      if (!got_header.empty()) got_header += ",";
      got_header += f.value_or("<null>");
    }
    if (got_header != header) out.problems.push_back(rel + ": header " + got_header);
    ++out.files_per_partition[partition];
    out.bytes_per_partition[partition] += gz->size();
    for (std::size_t i = 1; i < records->size(); ++i) {
      std::vector<std::string> row;
      for (const CsvField& f : (*records)[i]) row.push_back(f.value_or("<null>"));
      out.rows[partition].push_back(std::move(row));
    }
  }
  return out;
}

}  // namespace promorec::lake::testing
