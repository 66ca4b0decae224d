#include "promorec/base/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

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

TEST(ThreadNameTest, LowerThreadPriorityAffectsOnlyTheCallingThread) {
  int lowered = -1;
  std::thread([&] {
    LowerThreadPriority();
    lowered = sched_getscheduler(0);
  }).join();
  int policy = -1;
  sched_param param{};
  ASSERT_EQ(pthread_getschedparam(pthread_self(), &policy, &param), 0);
  EXPECT_EQ(policy, SCHED_OTHER) << "the caller's thread is unchanged";
  EXPECT_EQ(lowered, SCHED_IDLE);
}

}  // namespace
}  // namespace promorec::base
