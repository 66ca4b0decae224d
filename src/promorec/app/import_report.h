// The summary `promorec import` prints (as text or one JSON object), and the
// progress line it shows on a terminal.
// Thread-safety: single-threaded helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "promorec/event/event_file.h"

namespace promorec::app {

class ImportReport {
 public:
  void AddFile(const std::string& path, const event::ReadStats& stats);
  void AddFailedFile(const std::string& path, const std::string& error);
  void set_seconds(double seconds) { seconds_ = seconds; }
  void set_dead_letter(std::string path) { dead_letter_ = std::move(path); }
  void set_stream(std::string stream) { stream_ = std::move(stream); }
  void set_stored(std::uint64_t stored) { stored_ = stored; }

  const event::ReadStats& total() const { return total_; }

  // {"files":[...],"rows_read":N,"accepted":N,"rejected":N,
  //  "rejected_by_reason":{"bad_rating":1},"dead_letter":"...","seconds":S,
  //  "rows_per_second":R,"stream":"clicks","stored":N} and a line break.
  std::string ToJson() const;
  std::string ToText() const;

 private:
  struct FileEntry {
    std::string path;
    event::ReadStats stats;
    std::string error;  // non-empty when the file could not be read
  };
  std::vector<FileEntry> files_;
  event::ReadStats total_;
  double seconds_ = 0;
  std::string dead_letter_;
  std::string stream_;
  std::uint64_t stored_ = 0;
};

// "\r<file>: 12.3 MB, 450000 rows, 1.2 M rows/s" redrawn at most five times
// a second; does nothing when disabled (not a terminal).
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::string label);
  void Update(std::uint64_t bytes, std::uint64_t rows);
  void Finish();

 private:
  bool enabled_;
  std::string label_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

}  // namespace promorec::app
