#include "promorec/base/env.h"

#include <array>
#include <string>

namespace promorec::base {

std::string ParentDir(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

Result<std::string> ReadFileToString(Env& env, const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewSequentialFile(path));
  std::string out;
  std::array<char, 64 * 1024> buf;
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const size_t n, file->Read(buf));
    if (n == 0) break;
    out.append(buf.data(), n);
  }
  return out;
}

Status RemoveTree(Env& env, const std::string& path) {
  auto children = env.ListDir(path);
  // Not a directory: a file.
  if (!children) return env.RemoveFile(path);
  for (const std::string& child : *children) {
    PROMOREC_RETURN_IF_ERROR(RemoveTree(env, path + "/" + child));
  }
  return env.RemoveDir(path);
}

Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data) {
  // A fixed suffix rather than a unique one: concurrent writers of the same
  // path are a caller bug, and a fixed name means a crash leaves at most one
  // stray temporary per target instead of an unbounded number.
  const std::string tmp = path + ".tmp";
  {
    PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(tmp));
    Status st = file->Append(data);
    if (st) st = file->Sync();
    if (st) st = file->Close();
    if (!st) {
      (void)env.RemoveFile(tmp);
      return st;
    }
  }
  if (Status st = env.RenameFile(tmp, path); !st) {
    (void)env.RemoveFile(tmp);
    return st;
  }
  return env.SyncDir(ParentDir(path));
}

}  // namespace promorec::base
