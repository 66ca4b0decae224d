// Reads a file line by line in large chunks, for the line-oriented formats.
// Knows line numbers and byte offsets (for error messages), cuts lines
// longer than the limit without reading them into memory whole, and tells
// whether the last line was terminated (a missing final line break on a
// line that does not parse is how a truncated file shows).
// Thread-safety: one reader per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"

namespace promorec::event {

struct Line {
  // Without the '\n' (a '\r' before it is kept: codecs strip it). For a line
  // over the limit, only its first kMaxLineBytes bytes.
  std::string_view text;
  std::uint64_t number = 0;  // 1-based
  std::uint64_t offset = 0;  // byte offset of the line's first byte
  std::uint64_t length = 0;  // full length in bytes without the line break
  bool terminated = true;    // false for a last line with no line break
  bool too_long = false;     // longer than max_line_bytes
};

class LineReader {
 public:
  LineReader(std::unique_ptr<base::SequentialFile> file, std::size_t max_line_bytes);

  [[nodiscard]] static base::Result<std::unique_ptr<LineReader>> Open(base::Env& env,
                                                                      const std::string& path,
                                                                      std::size_t max_line_bytes);

  // Sets *line to the next line; false at the end of the file. The text
  // stays valid until the next call.
  [[nodiscard]] base::Result<bool> Next(Line* line);

  std::uint64_t bytes_consumed() const { return consumed_; }

 private:
  [[nodiscard]] base::Status Fill();

  std::unique_ptr<base::SequentialFile> file_;
  std::size_t max_line_bytes_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // unread data is buffer_[begin_, end_)
  std::size_t end_ = 0;
  bool eof_ = false;
  std::uint64_t consumed_ = 0;  // file offset of buffer_[begin_]
  std::uint64_t line_number_ = 0;
};

}  // namespace promorec::event
