// The POSIX Env behind DefaultEnv(). Every error names the operation, the path
// and the errno text, because these messages end up in operators' logs with no
// other context.

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "promorec/base/env.h"

namespace promorec::base {
namespace {

// Large enough that many small appends (log records) become few write(2)
// calls; small enough not to matter per open file.
constexpr size_t kWriteBufferSize = 64 * 1024;

int OpenRetry(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  PosixSequentialFile(const PosixSequentialFile&) = delete;
  PosixSequentialFile& operator=(const PosixSequentialFile&) = delete;

  Result<size_t> Read(std::span<char> buf) override {
    while (true) {
      const ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoError("read " + path_, errno);
    }
  }

 private:
  std::string path_;
  int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  PosixRandomAccessFile(const PosixRandomAccessFile&) = delete;
  PosixRandomAccessFile& operator=(const PosixRandomAccessFile&) = delete;

  Result<size_t> ReadAt(uint64_t offset, std::span<char> buf) const override {
    // pread may return short counts before EOF (signals, some file systems),
    // so keep going until the buffer is full or the file ends.
    size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n =
          ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("pread " + path_ + " at offset " + std::to_string(offset + done), errno);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoError("fstat " + path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {
    buffer_.reserve(kWriteBufferSize);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) {
      // Best effort: a caller that cares about errors calls Close().
      (void)FlushBuffer();
      ::close(fd_);
    }
  }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  Status Append(std::string_view data) override {
    PROMOREC_RETURN_IF_ERROR(CheckOpen("append to"));
    size_ += data.size();
    const size_t room = kWriteBufferSize - buffer_.size();
    if (data.size() <= room) {
      buffer_.append(data);
      return OkStatus();
    }
    buffer_.append(data.substr(0, room));
    data.remove_prefix(room);
    PROMOREC_RETURN_IF_ERROR(FlushBuffer());
    // Large writes skip the buffer so they cost one copy less.
    if (data.size() >= kWriteBufferSize) return WriteAll(data);
    buffer_.append(data);
    return OkStatus();
  }

  Status Flush() override {
    PROMOREC_RETURN_IF_ERROR(CheckOpen("flush"));
    return FlushBuffer();
  }

  Status Sync() override {
    PROMOREC_RETURN_IF_ERROR(CheckOpen("sync"));
    PROMOREC_RETURN_IF_ERROR(FlushBuffer());
    if (::fdatasync(fd_) != 0) return ErrnoError("fdatasync " + path_, errno);
    return OkStatus();
  }

  Status Close() override {
    PROMOREC_RETURN_IF_ERROR(CheckOpen("close"));
    Status flushed = FlushBuffer();
    const int rc = ::close(fd_);
    const int err = errno;
    fd_ = -1;
    PROMOREC_RETURN_IF_ERROR(flushed);
    if (rc != 0) return ErrnoError("close " + path_, err);
    return OkStatus();
  }

  uint64_t Size() const override { return size_; }

 private:
  Status CheckOpen(std::string_view op) const {
    if (fd_ >= 0) return OkStatus();
    return FailedPrecondition(std::string(op) + " " + path_ + ": file already closed");
  }

  Status FlushBuffer() {
    if (buffer_.empty()) return OkStatus();
    Status st = WriteAll(buffer_);
    // On error the buffered bytes are dropped rather than retried: what
    // reached the file is unknown, and a retry could duplicate records.
    buffer_.clear();
    return st;
  }

  Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write " + path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return OkStatus();
  }

  std::string path_;
  int fd_;
  uint64_t size_;
  std::string buffer_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the descriptor releases the flock.
  ~PosixFileLock() override { ::close(fd_); }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    const int fd = OpenRetry(path, O_RDONLY);
    if (fd < 0) return ErrnoError("open " + path + " for reading", errno);
    return std::make_unique<PosixSequentialFile>(path, fd);
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    const int fd = OpenRetry(path, O_RDONLY);
    if (fd < 0) return ErrnoError("open " + path + " for reading", errno);
    return std::make_unique<PosixRandomAccessFile>(path, fd);
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    const int fd = OpenRetry(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return ErrnoError("open " + path + " for writing", errno);
    return std::make_unique<PosixWritableFile>(path, fd, 0);
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    const int fd = OpenRetry(path, O_WRONLY | O_CREAT | O_APPEND);
    if (fd < 0) return ErrnoError("open " + path + " for appending", errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError("fstat " + path, err);
    }
    return std::make_unique<PosixWritableFile>(path, fd, static_cast<uint64_t>(st.st_size));
  }

  Result<bool> FileExists(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return ErrnoError("stat " + path, errno);
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat " + path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoError("opendir " + dir, errno);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      const dirent* entry = ::readdir(d);
      if (entry == nullptr) break;
      const std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return ErrnoError("readdir " + dir, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(const std::string& dir) override {
    if (dir.empty()) return InvalidArgument("create directory: empty path");
    // Walk prefixes so that "a/b/c" creates a, a/b, a/b/c in turn.
    size_t pos = 0;
    while (pos != std::string::npos) {
      pos = dir.find('/', pos + 1);
      const std::string prefix = dir.substr(0, pos);
      if (prefix.empty() || prefix.back() == '/') continue;
      if (::mkdir(prefix.c_str(), 0755) == 0) continue;
      const int err = errno;
      if (err != EEXIST) return ErrnoError("mkdir " + prefix, err);
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return ErrnoError("stat " + prefix, errno);
      if (!S_ISDIR(st.st_mode)) return ErrnoError("mkdir " + prefix, ENOTDIR);
    }
    return OkStatus();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoError("unlink " + path, errno);
    return OkStatus();
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return ErrnoError("rmdir " + dir, errno);
    return OkStatus();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoError("rename " + from + " to " + to, errno);
    }
    return OkStatus();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return ErrnoError("truncate " + path + " to " + std::to_string(size) + " bytes", errno);
    }
    return OkStatus();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = OpenRetry(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return ErrnoError("open directory " + dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoError("fsync directory " + dir, err);
    return OkStatus();
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const int fd = OpenRetry(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("open lock file " + path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return MakeError(Code::kUnavailable,
                         "lock " + path + ": held by another process (is promorec running?)");
      }
      return ErrnoError("lock " + path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Env& DefaultEnv() {
  static PosixEnv env;
  return env;
}

}  // namespace promorec::base
