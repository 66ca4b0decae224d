#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "promorec/base/thread_name.h"

namespace promorec::base {

void SetThreadName(std::string_view name) {
  constexpr std::size_t kMaxName = 15;
  const std::string cut(name.substr(0, kMaxName));
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

void LowerThreadPriority() {
  // SCHED_IDLE: the thread runs when nothing else wants the CPU (and still
  // gets a small share under full load). Where that is refused, the lowest
  // nice value; on Linux a thread has its own, set through its thread id.
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0) return;
  constexpr int kLowestNice = 19;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, kLowestNice);
}

}  // namespace promorec::base
