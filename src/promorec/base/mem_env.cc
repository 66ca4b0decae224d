#include "promorec/base/mem_env.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace promorec::base {
namespace {

// Shared by every handle on the file, so a renamed or removed file stays
// readable and writable through handles opened earlier, as on POSIX.
struct FileData {
  mutable std::mutex mu;
  std::string bytes;
};

class MemSequentialFile final : public SequentialFile {
 public:
  explicit MemSequentialFile(std::shared_ptr<FileData> data) : data_(std::move(data)) {}

  Result<size_t> Read(std::span<char> buf) override {
    std::lock_guard lock(data_->mu);
    const std::string& bytes = data_->bytes;
    if (pos_ >= bytes.size()) return size_t{0};
    const size_t n = std::min(buf.size(), bytes.size() - pos_);
    std::copy_n(bytes.data() + pos_, n, buf.data());
    pos_ += n;
    return n;
  }

 private:
  std::shared_ptr<FileData> data_;
  size_t pos_ = 0;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<FileData> data) : data_(std::move(data)) {}

  Result<size_t> ReadAt(uint64_t offset, std::span<char> buf) const override {
    std::lock_guard lock(data_->mu);
    const std::string& bytes = data_->bytes;
    if (offset >= bytes.size()) return size_t{0};
    const size_t start = static_cast<size_t>(offset);
    const size_t n = std::min(buf.size(), bytes.size() - start);
    std::copy_n(bytes.data() + start, n, buf.data());
    return n;
  }

  Result<uint64_t> Size() const override {
    std::lock_guard lock(data_->mu);
    return uint64_t{data_->bytes.size()};
  }

 private:
  std::shared_ptr<FileData> data_;
};

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<FileData> data)
      : path_(std::move(path)), data_(std::move(data)) {}

  Status Append(std::string_view data) override {
    PROMOREC_RETURN_IF_ERROR(CheckOpen("append to"));
    std::lock_guard lock(data_->mu);
    data_->bytes.append(data);
    return OkStatus();
  }
  Status Flush() override { return CheckOpen("flush"); }
  Status Sync() override { return CheckOpen("sync"); }
  Status Close() override {
    PROMOREC_RETURN_IF_ERROR(CheckOpen("close"));
    closed_ = true;
    return OkStatus();
  }
  uint64_t Size() const override {
    std::lock_guard lock(data_->mu);
    return data_->bytes.size();
  }

 private:
  Status CheckOpen(std::string_view op) const {
    if (!closed_) return OkStatus();
    return FailedPrecondition(std::string(op) + " " + path_ + ": file already closed");
  }

  std::string path_;
  std::shared_ptr<FileData> data_;
  bool closed_ = false;
};

// "a//b/" -> "a/b"; keeps "/" as is. Paths are compared textually, so two
// spellings of one file must normalise to the same key.
std::string Normalize(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (const char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return path.size() > 1 && path.front() == '/';
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

struct MemLockTable {
  std::mutex mu;
  std::set<std::string> held;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<MemLockTable> table, std::string key)
      : table_(std::move(table)), key_(std::move(key)) {}
  ~MemFileLock() override {
    std::lock_guard lock(table_->mu);
    table_->held.erase(key_);
  }

 private:
  std::shared_ptr<MemLockTable> table_;
  std::string key_;
};

class MemEnv final : public Env {
 public:
  MemEnv() : dirs_{"/", "."} {}

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    PROMOREC_ASSIGN_OR_RETURN(auto data, FindFile(path, "open " + path + " for reading"));
    return std::make_unique<MemSequentialFile>(std::move(data));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    PROMOREC_ASSIGN_OR_RETURN(auto data, FindFile(path, "open " + path + " for reading"));
    return std::make_unique<MemRandomAccessFile>(std::move(data));
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    PROMOREC_ASSIGN_OR_RETURN(auto data, OpenForWrite(path, "open " + path + " for writing"));
    std::lock_guard lock(data->mu);
    data->bytes.clear();
    return std::make_unique<MemWritableFile>(path, std::move(data));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    PROMOREC_ASSIGN_OR_RETURN(auto data, OpenForWrite(path, "open " + path + " for appending"));
    return std::make_unique<MemWritableFile>(path, std::move(data));
  }

  Result<bool> FileExists(const std::string& path) override {
    const std::string key = Normalize(path);
    std::lock_guard lock(mu_);
    return files_.contains(key) || dirs_.contains(key);
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    const std::string key = Normalize(path);
    std::lock_guard lock(mu_);
    if (dirs_.contains(key)) return uint64_t{0};
    const auto it = files_.find(key);
    if (it == files_.end()) return ErrnoError("stat " + path, ENOENT);
    std::lock_guard file_lock(it->second->mu);
    return uint64_t{it->second->bytes.size()};
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    const std::string key = Normalize(dir);
    std::lock_guard lock(mu_);
    if (!dirs_.contains(key)) {
      return ErrnoError("opendir " + dir, files_.contains(key) ? ENOTDIR : ENOENT);
    }
    std::vector<std::string> names;
    const auto add_children = [&](const auto& container) {
      for (const auto& entry : container) {
        const std::string& path = Key(entry);
        if (ParentKey(path) == key && path != key)
          names.push_back(path.substr(path.rfind('/') + 1));
      }
    };
    add_children(files_);
    add_children(dirs_);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return InvalidArgument("create directory: empty path");
    const std::string key = Normalize(dir);
    std::lock_guard lock(mu_);
    std::vector<std::string> missing;
    for (std::string p = key; !dirs_.contains(p); p = ParentKey(p)) {
      if (files_.contains(p)) return ErrnoError("mkdir " + p, p == key ? EEXIST : ENOTDIR);
      missing.push_back(p);
    }
    dirs_.insert(missing.begin(), missing.end());
    return OkStatus();
  }

  Status RemoveFile(const std::string& path) override {
    const std::string key = Normalize(path);
    std::lock_guard lock(mu_);
    if (dirs_.contains(key)) return ErrnoError("unlink " + path, EISDIR);
    if (files_.erase(key) == 0) return ErrnoError("unlink " + path, ENOENT);
    return OkStatus();
  }

  Status RemoveDir(const std::string& dir) override {
    const std::string key = Normalize(dir);
    std::lock_guard lock(mu_);
    if (files_.contains(key)) return ErrnoError("rmdir " + dir, ENOTDIR);
    if (!dirs_.contains(key)) return ErrnoError("rmdir " + dir, ENOENT);
    if (key == "/" || key == ".") return ErrnoError("rmdir " + dir, EBUSY);
    if (HasChildren(key)) return ErrnoError("rmdir " + dir, ENOTEMPTY);
    dirs_.erase(key);
    return OkStatus();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    const std::string src = Normalize(from);
    const std::string dst = Normalize(to);
    const std::string what = "rename " + from + " to " + to;
    std::lock_guard lock(mu_);
    if (!dirs_.contains(ParentKey(dst))) return ErrnoError(what, ENOENT);
    if (const auto it = files_.find(src); it != files_.end()) {
      if (dirs_.contains(dst)) return ErrnoError(what, EISDIR);
      auto data = it->second;
      files_.erase(it);
      files_[dst] = std::move(data);
      return OkStatus();
    }
    if (!dirs_.contains(src)) return ErrnoError(what, ENOENT);
    if (src == dst) return OkStatus();
    if (files_.contains(dst)) return ErrnoError(what, ENOTDIR);
    if (IsUnder(dst, src)) return ErrnoError(what, EINVAL);
    if (dirs_.contains(dst) && HasChildren(dst)) return ErrnoError(what, ENOTEMPTY);
    MoveTree(src, dst);
    return OkStatus();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    const std::string key = Normalize(path);
    std::lock_guard lock(mu_);
    const std::string what = "truncate " + path + " to " + std::to_string(size) + " bytes";
    if (dirs_.contains(key)) return ErrnoError(what, EISDIR);
    const auto it = files_.find(key);
    if (it == files_.end()) return ErrnoError(what, ENOENT);
    std::lock_guard file_lock(it->second->mu);
    it->second->bytes.resize(static_cast<size_t>(size), '\0');
    return OkStatus();
  }

  Status SyncDir(const std::string& dir) override {
    const std::string key = Normalize(dir);
    std::lock_guard lock(mu_);
    if (dirs_.contains(key)) return OkStatus();
    return ErrnoError("open directory " + dir, files_.contains(key) ? ENOTDIR : ENOENT);
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const std::string key = Normalize(path);
    {
      std::lock_guard lock(mu_);
      if (!dirs_.contains(ParentKey(key))) return ErrnoError("open lock file " + path, ENOENT);
      files_.try_emplace(key, std::make_shared<FileData>());
    }
    std::lock_guard lock(locks_->mu);
    if (!locks_->held.insert(key).second) {
      return MakeError(Code::kUnavailable, "lock " + path + ": held by another holder");
    }
    return std::unique_ptr<FileLock>(new MemFileLock(locks_, key));
  }

 private:
  static const std::string& Key(const std::string& s) { return s; }
  static const std::string& Key(const std::pair<const std::string, std::shared_ptr<FileData>>& p) {
    return p.first;
  }
  static std::string ParentKey(const std::string& key) { return ParentDir(key); }

  Result<std::shared_ptr<FileData>> FindFile(const std::string& path, const std::string& what) {
    const std::string key = Normalize(path);
    std::lock_guard lock(mu_);
    const auto it = files_.find(key);
    if (it != files_.end()) return it->second;
    return ErrnoError(what, dirs_.contains(key) ? EISDIR : ENOENT);
  }

  Result<std::shared_ptr<FileData>> OpenForWrite(const std::string& path, const std::string& what) {
    const std::string key = Normalize(path);
    std::lock_guard lock(mu_);
    if (dirs_.contains(key)) return ErrnoError(what, EISDIR);
    const auto it = files_.find(key);
    if (it != files_.end()) return it->second;
    const std::string parent = ParentKey(key);
    if (!dirs_.contains(parent))
      return ErrnoError(what, files_.contains(parent) ? ENOTDIR : ENOENT);
    auto data = std::make_shared<FileData>();
    files_.emplace(key, data);
    return data;
  }

  bool HasChildren(const std::string& dir) const {
    const auto under = [&](const std::string& p) { return IsUnder(p, dir); };
    return std::any_of(dirs_.begin(), dirs_.end(), under) ||
           std::any_of(files_.begin(), files_.end(), [&](const auto& f) { return under(f.first); });
  }

  void MoveTree(const std::string& src, const std::string& dst) {
    const auto rebase = [&](const std::string& p) { return dst + p.substr(src.size()); };
    std::set<std::string> dirs;
    for (const auto& d : dirs_) dirs.insert(d == src || IsUnder(d, src) ? rebase(d) : d);
    std::map<std::string, std::shared_ptr<FileData>> files;
    for (auto& [p, data] : files_) files.emplace(IsUnder(p, src) ? rebase(p) : p, data);
    dirs_ = std::move(dirs);
    files_ = std::move(files);
  }

  std::mutex mu_;
  // Shared with the locks handed out, which may outlive the env.
  std::shared_ptr<MemLockTable> locks_ = std::make_shared<MemLockTable>();
  std::map<std::string, std::shared_ptr<FileData>> files_;
  std::set<std::string> dirs_;
};

}  // namespace

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

}  // namespace promorec::base
