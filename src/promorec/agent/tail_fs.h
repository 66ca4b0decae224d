// The file-system view the agent tails through: glob a pattern, learn a
// file's identity (device and inode), size and modification time, and read
// an open file at an offset. base::Env has no notion of file identity, and
// following rotation needs it: a renamed file keeps its identity, a new file
// at the old path has another one. Tests use tail_fs_test_util.h's
// in-memory version, which can rename, truncate and append like a logger.
//
// Thread-safety: PosixTailFs() is stateless and safe from many threads; a
// TailFile is used by one thread at a time.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::agent {

struct FileId {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  auto operator<=>(const FileId&) const = default;
};

struct FileInfo {
  FileId id;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

class TailFile {
 public:
  virtual ~TailFile() = default;
  // Reads up to buf.size() bytes at `offset`; fewer only at the end of the
  // file, 0 at or past it. The file keeps being readable after it is renamed
  // or removed.
  [[nodiscard]] virtual base::Result<std::size_t> ReadAt(std::uint64_t offset,
                                                         std::span<char> buf) = 0;
  // Identity and current size of the open file (not of whatever its path
  // names now).
  [[nodiscard]] virtual base::Result<FileInfo> Stat() = 0;
};

class TailFs {
 public:
  virtual ~TailFs() = default;
  // Paths of the regular files matching a shell glob (`*`, `?`, `[...]`;
  // a `*` does not cross a `/`), sorted. No match is an empty list.
  [[nodiscard]] virtual base::Result<std::vector<std::string>> Glob(const std::string& pattern) = 0;
  // What `path` names now; NotFound when nothing does.
  [[nodiscard]] virtual base::Result<FileInfo> Stat(const std::string& path) = 0;
  [[nodiscard]] virtual base::Result<std::unique_ptr<TailFile>> Open(const std::string& path) = 0;
};

// The process's file system.
TailFs& PosixTailFs();

}  // namespace promorec::agent
