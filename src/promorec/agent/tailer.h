// Follows the files matching a glob the way a log shipper must: each file is
// known by its identity (device, inode), so a file renamed by log rotation
// keeps its place and is read to its end, and a new file at the old path
// starts from its beginning; a file that shrinks was truncated and is read
// again from its start. Files are read in the order they were found (a
// checkpoint's order first, then by modification time), so the old file of
// a rotation is finished before the new one.
//
// Lines are handed out whole (without their '\n', bytes otherwise as they
// are); a last line without its line break waits until it is complete, or
// until its file has left the glob and stopped growing. A line longer than
// `max_line_bytes` is skipped (counted, never half-sent).
//
// Reading stops when the sink is full; AcknowledgeRead then marks all lines
// read so far as delivered, and Checkpoint reports, per file, the offset of
// the first line not acknowledged. This relies on the agent's rhythm: read a
// batch, deliver it, acknowledge, read the next.
//
// Thread-safety: none; one agent thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/agent/checkpoint.h"
#include "promorec/agent/tail_fs.h"
#include "promorec/base/status.h"
#include "promorec/event/limits.h"

namespace promorec::agent {

class LineSink {
 public:
  virtual ~LineSink() = default;
  // Takes the line, or returns false when there is no room for it now (the
  // line is offered again later).
  virtual bool Offer(std::string_view line) = 0;
};

struct TailerOptions {
  std::size_t max_line_bytes = event::kMaxLineBytes;
  std::size_t read_chunk_bytes = 64 * 1024;
  // Lines that are blank, or for which this returns true, are consumed
  // without being offered (a CSV header line, say).
  bool (*skip_line)(std::string_view line) = nullptr;
};

struct TailerStats {
  std::uint64_t files_opened = 0;
  std::uint64_t rotations = 0;  // files that left the glob and were finished
  std::uint64_t truncations = 0;
  std::uint64_t lines_read = 0;
  std::uint64_t lines_skipped = 0;  // blank or skip_line
  std::uint64_t lines_too_long = 0;
};

class Tailer {
 public:
  // `resume`: a loaded checkpoint; a file found with the same identity (and
  // fingerprint) continues at its offset, every other file starts at 0.
  Tailer(TailFs& fs, std::string pattern, TailerOptions options,
         std::vector<CheckpointEntry> resume);
  ~Tailer();
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  // Globs again: notices new files, renames, removals and truncations.
  [[nodiscard]] base::Status Scan();
  // Offers complete lines to `sink` until it refuses one or every file is
  // at its end. Returns true when it stopped because the sink was full.
  [[nodiscard]] base::Result<bool> Read(LineSink& sink);
  // Everything read so far has been delivered.
  void AcknowledgeRead();
  // Per tracked file, the acknowledged offset, in reading order.
  [[nodiscard]] base::Result<std::vector<CheckpointEntry>> Checkpoint();

  // Files currently followed.
  std::size_t file_count() const { return files_.size(); }
  const TailerStats& stats() const { return stats_; }

 private:
  struct File;

  [[nodiscard]] base::Status Track(const std::string& path);
  std::optional<std::string> FindInDirectory(const CheckpointEntry& entry);
  [[nodiscard]] base::Result<bool> ReadFile(File& file, LineSink& sink);
  void Consume(File& file, std::size_t bytes);

  TailFs& fs_;
  std::string pattern_;
  TailerOptions options_;
  std::vector<CheckpointEntry> resume_;
  std::vector<std::unique_ptr<File>> files_;  // reading order
  TailerStats stats_;
  std::vector<char> chunk_;
  std::set<std::string> unreadable_;  // warned about once each
};

}  // namespace promorec::agent
