#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "promorec/base/thread_name.h"

namespace promorec::base {

void SetThreadName(std::string_view name) {
  constexpr std::size_t kMaxName = 15;
  const std::string cut(name.substr(0, kMaxName));
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

namespace {

// CAP_SYS_NICE in the process's effective capabilities (/proc/self/status).
bool MayRaisePriority() {
  constexpr int kCapSysNice = 23;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("CapEff:")) continue;
    const unsigned long long caps = std::strtoull(line.c_str() + 7, nullptr, 16);
    return ((caps >> kCapSysNice) & 1) != 0;
  }
  return false;
}

void SetNice(int nice) {
  // On Linux a thread has its own nice value, set through its thread id.
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, nice);
}

}  // namespace

bool LowerThreadPriority() {
  static const bool may_raise = MayRaisePriority();
  if (may_raise) {
    sched_param param{};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0) return true;
  }
  constexpr int kBackgroundNice = 10;
  SetNice(kBackgroundNice);
  return false;
}

bool NormalThreadPriority() {
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_OTHER, &param) != 0) return false;
  SetNice(0);
  return true;
}

}  // namespace promorec::base
