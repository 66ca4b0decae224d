#include "promorec/agent/tail_fs.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace promorec::agent {
namespace {

FileInfo FromStat(const struct stat& st) {
  FileInfo info;
  info.id.device = static_cast<std::uint64_t>(st.st_dev);
  info.id.inode = static_cast<std::uint64_t>(st.st_ino);
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                  static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  return info;
}

class PosixTailFile final : public TailFile {
 public:
  PosixTailFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixTailFile() override { ::close(fd_); }
  PosixTailFile(const PosixTailFile&) = delete;
  PosixTailFile& operator=(const PosixTailFile&) = delete;

  base::Result<std::size_t> ReadAt(std::uint64_t offset, std::span<char> buf) override {
    std::size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n =
          ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        return base::ErrnoError("read " + path_, errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  base::Result<FileInfo> Stat() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return base::ErrnoError("stat " + path_, errno);
    return FromStat(st);
  }

 private:
  std::string path_;
  int fd_;
};

class RealTailFs final : public TailFs {
 public:
  base::Result<std::vector<std::string>> Glob(const std::string& pattern) override {
    glob_t found{};
    const int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found);
    std::vector<std::string> paths;
    if (rc == 0) {
      for (std::size_t i = 0; i < found.gl_pathc; ++i) {
        struct stat st {};
        // Directories and other non-regular files are not tailed.
        if (::stat(found.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode)) {
          paths.emplace_back(found.gl_pathv[i]);
        }
      }
    }
    ::globfree(&found);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return base::IoError("glob '" + pattern + "' failed" +
                           (rc == GLOB_NOSPACE ? ": out of memory" : ": read error"));
    }
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  base::Result<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return base::ErrnoError("stat " + path, errno);
    return FromStat(st);
  }

  base::Result<std::unique_ptr<TailFile>> Open(const std::string& path) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return base::ErrnoError("open " + path, errno);
    return std::make_unique<PosixTailFile>(path, fd);
  }
};

}  // namespace

TailFs& PosixTailFs() {
  static RealTailFs fs;
  return fs;
}

}  // namespace promorec::agent
