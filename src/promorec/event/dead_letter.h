// Where rejected records go: every bad record is kept with its error, so
// that nothing a producer sent is silently lost. The file sink writes one
// JSON object per line (NDJSON):
//   {"source":"train.csv","line":17,"offset":1234,"reason":"bad_rating",
//    "field":"rating","message":"...","raw":"..."}
// ("raw_hex" replaces "raw" when the record is not valid UTF-8).
// Thread-safety: sinks are not thread-safe; use one per thread or lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  virtual void Put(const Rejection& rejection) = 0;
};

class MemoryDeadLetter final : public DeadLetterSink {
 public:
  void Put(const Rejection& rejection) override { rejections_.push_back(rejection); }
  const std::vector<Rejection>& rejections() const { return rejections_; }

 private:
  std::vector<Rejection> rejections_;
};

class FileDeadLetter final : public DeadLetterSink {
 public:
  // Creates (or appends to) `path`; its directory must exist.
  [[nodiscard]] static base::Result<std::unique_ptr<FileDeadLetter>> Open(base::Env& env,
                                                                          const std::string& path);

  // A write error is kept and returned by Close; later records are dropped
  // (and counted) rather than half-written.
  void Put(const Rejection& rejection) override;
  // Flushes, syncs and closes; returns the first error seen.
  [[nodiscard]] base::Status Close();

  const std::string& path() const { return path_; }
  std::uint64_t written() const { return written_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  FileDeadLetter(std::unique_ptr<base::WritableFile> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)) {}

  std::unique_ptr<base::WritableFile> file_;
  std::string path_;
  std::string line_;
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
  std::optional<base::Error> error_;
};

// One dead-letter record as a JSON object (no line break).
void AppendDeadLetterJson(const Rejection& rejection, std::string* out);

}  // namespace promorec::event
