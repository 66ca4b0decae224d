#include "promorec/base/huge_page_malloc.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace promorec::base {

void UseHugePageMalloc(char** argv) {
  constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
  const char* env = std::getenv("GLIBC_TUNABLES");
  if (env != nullptr && std::string_view(env).find(kTunable) != std::string_view::npos) return;
  const bool had = env != nullptr;
  const std::string current = had ? env : "";
  std::string tunables = current.empty() ? "" : current + ":";
  tunables += std::string(kTunable) + "=1";
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not executed again: go on as we are, without the tunable in the
  // environment of what this process starts.
  if (had) {
    setenv("GLIBC_TUNABLES", current.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
}

}  // namespace promorec::base
