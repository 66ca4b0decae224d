#include "promorec/base/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace promorec::base {
namespace {

std::string CurrentName() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

TEST(ThreadNameTest, NamesTheCallingThreadAndCutsLongNames) {
  std::string short_name;
  std::string long_name;
  std::thread([&] {
    SetThreadName("profiles");
    short_name = CurrentName();
    SetThreadName("lake:impressions-and-more");
    long_name = CurrentName();
  }).join();
  EXPECT_EQ(short_name, "profiles");
  EXPECT_EQ(long_name, "lake:impression") << "15 bytes kept";
}

TEST(ThreadNameTest, BackgroundPriorityAffectsOnlyTheCallingThreadAndCanBeUndone) {
  bool undoable = false;
  int lowered = -1;
  int nice = 0;
  bool normal = false;
  int restored = -1;
  std::thread([&] {
    undoable = LowerThreadPriority();
    lowered = sched_getscheduler(0);
    nice = getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
    if (undoable) {
      normal = NormalThreadPriority();
      restored = sched_getscheduler(0);
    }
  }).join();
  int policy = -1;
  sched_param param{};
  ASSERT_EQ(pthread_getschedparam(pthread_self(), &policy, &param), 0);
  EXPECT_EQ(policy, SCHED_OTHER) << "the caller's thread is unchanged";
  if (undoable) {
    EXPECT_EQ(lowered, SCHED_IDLE);
    EXPECT_TRUE(normal);
    EXPECT_EQ(restored, SCHED_OTHER);
  } else {
    // Without CAP_SYS_NICE: a nice value it cannot undo.
    EXPECT_EQ(lowered, SCHED_OTHER);
    EXPECT_EQ(nice, 10);
  }
}

}  // namespace
}  // namespace promorec::base
