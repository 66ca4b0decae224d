// Test helper: an in-memory TailFs in which a test plays the logger. Files
// are inodes with contents; paths name inodes. Write appends, Rename moves a
// path (as logrotate does), Truncate shrinks, Remove unlinks; open handles
// keep their inode, as on POSIX. Not part of the library.
// Thread-safety: none; one test thread.
#pragma once

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "promorec/agent/tail_fs.h"

namespace promorec::agent {

class MemTailFs final : public TailFs {
 public:
  struct Inode {
    FileId id;
    std::string data;
    std::int64_t mtime_ns = 0;
  };

  // Appends to the file at `path`, creating it (a new inode) if needed.
  void Write(const std::string& path, std::string_view data) {
    auto& inode = paths_[path];
    if (!inode) inode = NewInode();
    inode->data.append(data);
    inode->mtime_ns = ++tick_;
  }
  void Rename(const std::string& from, const std::string& to) {
    paths_[to] = paths_.at(from);
    paths_.erase(from);
  }
  void Truncate(const std::string& path, std::size_t size) {
    paths_.at(path)->data.resize(size);
    paths_.at(path)->mtime_ns = ++tick_;
  }
  void Remove(const std::string& path) { paths_.erase(path); }
  // Gives the next new inode this number (to play inode reuse).
  void ReuseInode(std::uint64_t inode) { next_inode_ = inode; }
  FileId IdOf(const std::string& path) const { return paths_.at(path)->id; }
  int glob_calls = 0;

  base::Result<std::vector<std::string>> Glob(const std::string& pattern) override {
    ++glob_calls;
    std::vector<std::string> out;
    for (const auto& [path, inode] : paths_) {
      if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
    }
    return out;
  }
  base::Result<FileInfo> Stat(const std::string& path) override {
    const auto it = paths_.find(path);
    if (it == paths_.end()) return base::NotFound("stat " + path + ": No such file or directory");
    return Info(*it->second);
  }
  base::Result<std::unique_ptr<TailFile>> Open(const std::string& path) override {
    const auto it = paths_.find(path);
    if (it == paths_.end()) return base::NotFound("open " + path + ": No such file or directory");
    return std::make_unique<File>(it->second);
  }

 private:
  class File final : public TailFile {
   public:
    explicit File(std::shared_ptr<Inode> inode) : inode_(std::move(inode)) {}
    base::Result<std::size_t> ReadAt(std::uint64_t offset, std::span<char> buf) override {
      if (offset >= inode_->data.size()) return std::size_t{0};
      const std::size_t n = std::min<std::size_t>(buf.size(), inode_->data.size() - offset);
      std::copy_n(inode_->data.data() + offset, n, buf.data());
      return n;
    }
    base::Result<FileInfo> Stat() override { return Info(*inode_); }

   private:
    std::shared_ptr<Inode> inode_;
  };

  static FileInfo Info(const Inode& inode) {
    return FileInfo{inode.id, inode.data.size(), inode.mtime_ns};
  }
  std::shared_ptr<Inode> NewInode() {
    auto inode = std::make_shared<Inode>();
    inode->id = FileId{1, next_inode_++};
    return inode;
  }

  std::map<std::string, std::shared_ptr<Inode>> paths_;
  std::uint64_t next_inode_ = 100;
  std::int64_t tick_ = 0;
};

}  // namespace promorec::agent
