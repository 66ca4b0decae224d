// The file-system interface every module reads and writes through.
//
// Code that touches disk takes an `Env&` instead of calling POSIX directly, so
// tests can run it against an in-memory file system (mem_env.h) or inject
// torn writes, failed fsyncs and power cuts (fault_env.h) without root or a
// special file system.
//
// Thread-safety: Env implementations are safe to call from many threads at
// once. A single file object (SequentialFile, WritableFile) is not: one thread
// at a time. RandomAccessFile::ReadAt is const and safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::base {

class SequentialFile {
 public:
  virtual ~SequentialFile() = default;

  // Reads up to buf.size() bytes at the current position. Returns the number
  // of bytes read; 0 means end of file. Fewer than buf.size() bytes does not
  // by itself mean end of file.
  [[nodiscard]] virtual Result<size_t> Read(std::span<char> buf) = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;

  // Reads up to buf.size() bytes starting at `offset`. Returns fewer only at
  // end of file; 0 when offset is at or past the end.
  [[nodiscard]] virtual Result<size_t> ReadAt(uint64_t offset, std::span<char> buf) const = 0;
  [[nodiscard]] virtual Result<uint64_t> Size() const = 0;
};

class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // May buffer; data is only guaranteed to reach the OS after Flush/Sync/Close.
  [[nodiscard]] virtual Status Append(std::string_view data) = 0;
  // Hands buffered data to the OS; survives a process crash, not a power cut.
  [[nodiscard]] virtual Status Flush() = 0;
  // Flushes, then makes the file's data durable (fdatasync).
  [[nodiscard]] virtual Status Sync() = 0;
  // Flushes and releases the file. Further calls fail.
  [[nodiscard]] virtual Status Close() = 0;
  // Bytes in the file including those still buffered.
  virtual uint64_t Size() const = 0;
};

// Held while a process owns a directory; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  [[nodiscard]] virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Creates the file or truncates an existing one.
  [[nodiscard]] virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Creates the file or opens an existing one positioned at its end.
  [[nodiscard]] virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;

  [[nodiscard]] virtual Result<bool> FileExists(const std::string& path) = 0;
  [[nodiscard]] virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Entry names (not paths), sorted, without "." and "..".
  [[nodiscard]] virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and any missing parents; succeeds if it already exists.
  [[nodiscard]] virtual Status CreateDirs(const std::string& dir) = 0;
  [[nodiscard]] virtual Status RemoveFile(const std::string& path) = 0;
  // Removes an empty directory.
  [[nodiscard]] virtual Status RemoveDir(const std::string& dir) = 0;
  // Atomically replaces `to` if it exists.
  [[nodiscard]] virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  [[nodiscard]] virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Makes creations, renames and removals inside `dir` durable.
  [[nodiscard]] virtual Status SyncDir(const std::string& dir) = 0;
  // Creates `path` if needed and takes an exclusive lock on it, without
  // waiting: kUnavailable when another holder (another process) has it.
  [[nodiscard]] virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The process's POSIX file system. Stateless, so sharing it is not a mutable
// global in any sense that matters.
Env& DefaultEnv();

// Reads a whole file.
[[nodiscard]] Result<std::string> ReadFileToString(Env& env, const std::string& path);

// Replaces `path` with `data` so that after a crash readers see either the
// old contents or the new, never a mix: writes a sibling temporary file,
// syncs it, renames it over `path` and syncs the parent directory.
[[nodiscard]] Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data);

// The directory part of `path` ("a/b" for "a/b/c", "." for "c", "/" for "/c").
std::string ParentDir(std::string_view path);

// Removes `path`: a file, or a directory with everything inside it.
[[nodiscard]] Status RemoveTree(Env& env, const std::string& path);

}  // namespace promorec::base
