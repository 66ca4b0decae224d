// Behaviour specific to the in-memory Env; the shared Env contract is
// checked for it in env_test.cc.

#include "promorec/base/mem_env.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace promorec::base {
namespace {

TEST(MemEnvTest, InstancesAreIndependent) {
  auto a = NewMemEnv();
  auto b = NewMemEnv();
  ASSERT_TRUE(WriteFileAtomically(*a, "/f", "in a"));
  auto exists = b->FileExists("/f");
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST(MemEnvTest, RootAndCurrentDirectoryExist) {
  auto env = NewMemEnv();
  ASSERT_TRUE(WriteFileAtomically(*env, "relative", "r"));
  ASSERT_TRUE(WriteFileAtomically(*env, "/absolute", "a"));
  auto dot = env->ListDir(".");
  ASSERT_TRUE(dot);
  EXPECT_EQ(*dot, std::vector<std::string>{"relative"});
  auto root = env->ListDir("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(*root, std::vector<std::string>{"absolute"});
}

TEST(MemEnvTest, EquivalentSpellingsNameTheSameFile) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/a/b/"));
  ASSERT_TRUE(WriteFileAtomically(*env, "/a//b/f", "x"));
  auto data = ReadFileToString(*env, "/a/b/f");
  ASSERT_TRUE(data);
  EXPECT_EQ(*data, "x");
}

TEST(MemEnvTest, DirectoryIsNotAFile) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/d"));
  auto file = env->NewWritableFile("/d");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message(), "open /d for writing: Is a directory (errno 21)");
  EXPECT_FALSE(env->RemoveFile("/d"));
  auto st = env->RemoveDir("/");
  EXPECT_FALSE(st);
}

TEST(MemEnvTest, ConcurrentAppendsThroughSeparateHandlesAllLand) {
  auto env = NewMemEnv();
  constexpr int kThreads = 4;
  constexpr int kAppends = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto file = env->NewAppendableFile("/shared");
      if (!file) return;
      for (int i = 0; i < kAppends; ++i) (void)(*file)->Append("ab");
      (void)(*file)->Close();
    });
  }
  for (auto& th : threads) th.join();
  auto size = env->FileSize("/shared");
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, uint64_t{kThreads * kAppends * 2});
}

}  // namespace
}  // namespace promorec::base
