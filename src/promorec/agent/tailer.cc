#include "promorec/agent/tailer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "promorec/base/logging.h"

namespace promorec::agent {

struct Tailer::File {
  FileId id;
  std::string path;
  std::unique_ptr<TailFile> handle;
  std::uint64_t read_offset = 0;   // first byte not yet consumed
  std::uint64_t acked_offset = 0;  // first byte of the first line not acknowledged
  std::string pending;             // bytes from read_offset on, read but not consumed
  bool skipping = false;           // inside a line longer than the limit
  int gone_scans = 0;              // scans in a row that did not find it in the glob
  std::uint64_t head_len = 0;
  std::uint64_t head_hash = 0;

  std::uint64_t seen_end() const { return read_offset + pending.size(); }
  void Restart() {
    read_offset = acked_offset = head_len = head_hash = 0;
    pending.clear();
    skipping = false;
  }
};

namespace {

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// A file whose writer is taken to be done with it: it left the glob at
// least two scans ago, so the logger has had a poll interval to finish.
bool Finished(int gone_scans) { return gone_scans >= 2; }

base::Result<std::uint64_t> HashHead(TailFile& file, std::uint64_t length) {
  std::string head(length, '\0');
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, file.ReadAt(0, std::span(head)));
  if (n != length) return base::NotFound("file is shorter than its fingerprint");
  return HeadHash(head);
}

// `text` with the glob's special characters escaped.
std::string GlobEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<std::string> Tailer::FindInDirectory(const CheckpointEntry& entry) {
  const std::size_t slash = entry.path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : entry.path.substr(0, slash + 1);
  auto paths = fs_.Glob(GlobEscape(dir) + "*");
  if (!paths) return std::nullopt;
  for (const std::string& path : *paths) {
    if (auto info = fs_.Stat(path); info && info->id == entry.id) {
      spdlog::info("agent: {} was rotated to {} while the agent was not running", entry.path, path);
      return path;
    }
  }
  return std::nullopt;
}

Tailer::Tailer(TailFs& fs, std::string pattern, TailerOptions options,
               std::vector<CheckpointEntry> resume)
    : fs_(fs),
      pattern_(std::move(pattern)),
      options_(options),
      resume_(std::move(resume)),
      chunk_(options.read_chunk_bytes) {}

Tailer::~Tailer() = default;

base::Status Tailer::Track(const std::string& path) {
  auto opened = fs_.Open(path);
  if (!opened) {
    // Rotated away between the glob and the open: the next scan finds it.
    if (opened.error().code() == base::Code::kNotFound) return {};
    return std::unexpected(opened.error());
  }
  PROMOREC_ASSIGN_OR_RETURN(const FileInfo info, (*opened)->Stat());
  for (const auto& f : files_) {
    if (f->id == info.id) return {};
  }
  auto file = std::make_unique<File>();
  file->id = info.id;
  file->path = path;
  file->handle = std::move(*opened);
  const auto entry = std::find_if(resume_.begin(), resume_.end(),
                                  [&](const CheckpointEntry& e) { return e.id == info.id; });
  if (entry != resume_.end()) {
    bool same = entry->offset <= info.size;
    if (same && entry->head_len > 0) {
      auto hash = HashHead(*file->handle, entry->head_len);
      same = hash && *hash == entry->head_hash;
    }
    if (same) {
      file->read_offset = file->acked_offset = entry->offset;
      file->head_len = entry->head_len;
      file->head_hash = entry->head_hash;
    } else {
      spdlog::warn(
          "agent: {} is not the file checkpointed as {} (truncated or a reused inode); "
          "reading it from the beginning",
          path, entry->path);
    }
  }
  spdlog::info("agent: following {} from offset {}", path, file->read_offset);
  ++stats_.files_opened;
  files_.push_back(std::move(file));
  return {};
}

base::Status Tailer::Scan() {
  PROMOREC_ASSIGN_OR_RETURN(const std::vector<std::string> paths, fs_.Glob(pattern_));
  std::map<FileId, std::pair<std::string, FileInfo>> present;
  for (const std::string& path : paths) {
    auto info = fs_.Stat(path);
    if (!info) {
      if (info.error().code() == base::Code::kNotFound) continue;
      return std::unexpected(info.error());
    }
    present.try_emplace(info->id, path, *info);
  }
  for (const auto& file : files_) {
    if (const auto it = present.find(file->id); it != present.end()) {
      if (file->path != it->second.first) {
        spdlog::info("agent: {} was renamed to {}", file->path, it->second.first);
        file->path = it->second.first;
      }
      file->gone_scans = 0;
      present.erase(it);
    } else {
      ++file->gone_scans;
    }
    PROMOREC_ASSIGN_OR_RETURN(const FileInfo now, file->handle->Stat());
    if (now.size < file->seen_end()) {
      spdlog::warn(
          "agent: {} shrank from {} to {} bytes (truncated); reading it again from the "
          "beginning",
          file->path, file->seen_end(), now.size);
      file->Restart();
      ++stats_.truncations;
    }
  }
  // A rotated file is let go once it is read to its end and acknowledged.
  for (auto it = files_.begin(); it != files_.end();) {
    File& f = **it;
    if (Finished(f.gone_scans) && f.pending.empty() && f.acked_offset == f.read_offset) {
      PROMOREC_ASSIGN_OR_RETURN(const FileInfo now, f.handle->Stat());
      if (now.size == f.read_offset) {
        spdlog::info("agent: finished {} ({} bytes)", f.path, f.read_offset);
        ++stats_.rotations;
        it = files_.erase(it);
        continue;
      }
    }
    ++it;
  }
  std::vector<std::tuple<std::size_t, std::int64_t, std::string>> fresh;
  for (const auto& [id, found] : present) {
    const auto entry = std::find_if(resume_.begin(), resume_.end(),
                                    [&](const CheckpointEntry& e) { return e.id == id; });
    fresh.emplace_back(static_cast<std::size_t>(entry - resume_.begin()), found.second.mtime_ns,
                       found.first);
  }
  // A checkpointed file that left the glob while the agent was not running
  // (rotated to a name the glob does not match) is looked for beside its
  // old path, so that its last lines are still sent.
  for (std::size_t k = 0; k < resume_.size(); ++k) {
    const CheckpointEntry& entry = resume_[k];
    const bool known =
        present.contains(entry.id) ||
        std::any_of(files_.begin(), files_.end(), [&](const auto& f) { return f->id == entry.id; });
    if (known) continue;
    if (auto moved = FindInDirectory(entry); moved) {
      fresh.emplace_back(k, 0, *moved);
    }
  }
  std::sort(fresh.begin(), fresh.end());
  for (const auto& [order, mtime, path] : fresh) {
    if (auto tracked = Track(path); !tracked && unreadable_.insert(path).second) {
      spdlog::warn("agent: cannot follow {}: {}", path, tracked.error().ToString());
    }
  }
  // The checkpoint speaks about the files present at start only: a file
  // that turns up later with a checkpointed inode number is another file.
  resume_.clear();
  return {};
}

void Tailer::Consume(File& file, std::size_t bytes) {
  file.pending.erase(0, bytes);
  file.read_offset += bytes;
}

base::Result<bool> Tailer::ReadFile(File& file, LineSink& sink) {
  std::size_t pos = 0;     // consumed prefix of file.pending
  std::size_t search = 0;  // no '\n' in pending before this
  const auto take = [&](std::size_t end) {
    file.read_offset += end - pos;
    pos = end;
    search = pos;
  };
  while (true) {
    const std::size_t newline = file.pending.find('\n', std::max(pos, search));
    if (newline != std::string::npos) {
      const std::string_view line = std::string_view(file.pending).substr(pos, newline - pos);
      if (file.skipping || line.size() > options_.max_line_bytes) {
        file.skipping = false;
        ++stats_.lines_too_long;
        spdlog::warn("agent: skipped a line longer than {} bytes in {}", options_.max_line_bytes,
                     file.path);
      } else if (IsBlank(line) || (options_.skip_line != nullptr && options_.skip_line(line))) {
        ++stats_.lines_skipped;
      } else if (!sink.Offer(line)) {
        file.pending.erase(0, pos);
        return true;
      } else {
        ++stats_.lines_read;
      }
      take(newline + 1);
      continue;
    }
    search = file.pending.size();
    if (file.skipping || file.pending.size() - pos > options_.max_line_bytes) {
      file.skipping = true;
      take(file.pending.size());
    }
    file.pending.erase(0, pos);
    search -= pos;
    pos = 0;
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t n,
                              file.handle->ReadAt(file.seen_end(), std::span(chunk_)));
    if (n == 0) break;
    file.pending.append(chunk_.data(), n);
  }
  // At the end of the file. An unterminated last line of a file its writer
  // has left will not be completed: it is a line too.
  if (Finished(file.gone_scans) && !file.pending.empty()) {
    if (file.skipping) {
      ++stats_.lines_too_long;
    } else if (IsBlank(file.pending) ||
               (options_.skip_line != nullptr && options_.skip_line(file.pending))) {
      ++stats_.lines_skipped;
    } else if (!sink.Offer(file.pending)) {
      return true;
    } else {
      ++stats_.lines_read;
    }
    file.skipping = false;
    Consume(file, file.pending.size());
  }
  return false;
}

base::Result<bool> Tailer::Read(LineSink& sink) {
  for (const auto& file : files_) {
    PROMOREC_ASSIGN_OR_RETURN(const bool full, ReadFile(*file, sink));
    if (full) return true;
  }
  return false;
}

void Tailer::AcknowledgeRead() {
  for (const auto& file : files_) file->acked_offset = file->read_offset;
}

base::Result<std::vector<CheckpointEntry>> Tailer::Checkpoint() {
  std::vector<CheckpointEntry> out;
  out.reserve(files_.size());
  for (const auto& file : files_) {
    const std::uint64_t want = std::min<std::uint64_t>(file->acked_offset, kHeadBytes);
    if (want > file->head_len) {
      PROMOREC_ASSIGN_OR_RETURN(file->head_hash, HashHead(*file->handle, want));
      file->head_len = want;
    }
    out.push_back(
        CheckpointEntry{file->id, file->path, file->acked_offset, file->head_len, file->head_hash});
  }
  return out;
}

}  // namespace promorec::agent
