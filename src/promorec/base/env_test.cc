// Contract tests for the Env interface, run against both the POSIX Env (in a
// temporary directory) and the in-memory Env, so the two stay
// interchangeable.

#include "promorec/base/env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/mem_env.h"

namespace promorec::base {
namespace {

enum class Kind { kPosix, kMem };

void PrintTo(Kind kind, std::ostream* os) { *os << (kind == Kind::kPosix ? "Posix" : "Mem"); }

class EnvTest : public testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kPosix) {
      env_ = &DefaultEnv();
      // Parameterised test names contain '/', which must not become a path.
      std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      root_ = testing::TempDir() + "promorec_env_test_" + std::to_string(::getpid()) + "_" + name;
      (void)RemoveTree(*env_, root_);  // left over from an earlier run
    } else {
      mem_ = NewMemEnv();
      env_ = mem_.get();
      root_ = "/test";
    }
    ASSERT_TRUE(env_->CreateDirs(root_));
  }

  void TearDown() override {
    if (GetParam() == Kind::kPosix) (void)RemoveTree(*env_, root_);
  }

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  void WriteFile(const std::string& path, std::string_view data) {
    auto file = env_->NewWritableFile(path);
    ASSERT_TRUE(file) << file.error().ToString();
    ASSERT_TRUE((*file)->Append(data));
    ASSERT_TRUE((*file)->Close());
  }

  std::string Read(const std::string& path) {
    auto data = ReadFileToString(*env_, path);
    EXPECT_TRUE(data) << data.error().ToString();
    return data.value_or("<error>");
  }

  Env* env_ = nullptr;
  std::unique_ptr<Env> mem_;
  std::string root_;
};

TEST_P(EnvTest, WriteThenReadBack) {
  WriteFile(Path("a"), "hello world");
  EXPECT_EQ(Read(Path("a")), "hello world");
  auto size = env_->FileSize(Path("a"));
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 11U);
}

TEST_P(EnvTest, ManySmallAppendsAndLargeAppendsKeepOrder) {
  auto file = env_->NewWritableFile(Path("log"));
  ASSERT_TRUE(file);
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    expected += piece;
    ASSERT_TRUE((*file)->Append(piece));
  }
  const std::string big(200 * 1024, 'x');  // larger than any write buffer
  expected += big;
  ASSERT_TRUE((*file)->Append(big));
  ASSERT_TRUE((*file)->Append("tail"));
  expected += "tail";
  EXPECT_EQ((*file)->Size(), expected.size());
  ASSERT_TRUE((*file)->Sync());
  // Sync must have pushed everything out: another reader sees it all.
  EXPECT_EQ(Read(Path("log")), expected);
  ASSERT_TRUE((*file)->Close());
}

TEST_P(EnvTest, FlushMakesDataVisibleToReaders) {
  auto file = env_->NewWritableFile(Path("f"));
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->Append("abc"));
  ASSERT_TRUE((*file)->Flush());
  EXPECT_EQ(Read(Path("f")), "abc");
  ASSERT_TRUE((*file)->Close());
}

TEST_P(EnvTest, OperationsAfterCloseFail) {
  auto file = env_->NewWritableFile(Path("f"));
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->Close());
  auto st = (*file)->Append("x");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kFailedPrecondition);
  EXPECT_FALSE((*file)->Close());
}

TEST_P(EnvTest, NewWritableFileTruncates) {
  WriteFile(Path("a"), "old contents");
  WriteFile(Path("a"), "new");
  EXPECT_EQ(Read(Path("a")), "new");
}

TEST_P(EnvTest, AppendableFileContinuesAtEnd) {
  WriteFile(Path("a"), "one,");
  auto file = env_->NewAppendableFile(Path("a"));
  ASSERT_TRUE(file);
  EXPECT_EQ((*file)->Size(), 4U);
  ASSERT_TRUE((*file)->Append("two"));
  EXPECT_EQ((*file)->Size(), 7U);
  ASSERT_TRUE((*file)->Close());
  EXPECT_EQ(Read(Path("a")), "one,two");

  auto fresh = env_->NewAppendableFile(Path("b"));
  ASSERT_TRUE(fresh);
  ASSERT_TRUE((*fresh)->Append("new"));
  ASSERT_TRUE((*fresh)->Close());
  EXPECT_EQ(Read(Path("b")), "new");
}

TEST_P(EnvTest, SequentialReadInChunksReachesEof) {
  WriteFile(Path("a"), "0123456789");
  auto file = env_->NewSequentialFile(Path("a"));
  ASSERT_TRUE(file);
  std::array<char, 4> buf;
  std::string got;
  while (true) {
    auto n = (*file)->Read(buf);
    ASSERT_TRUE(n);
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_EQ(got, "0123456789");
}

TEST_P(EnvTest, RandomAccessReadsAtOffsets) {
  WriteFile(Path("a"), "0123456789");
  auto file = env_->NewRandomAccessFile(Path("a"));
  ASSERT_TRUE(file);
  std::array<char, 4> buf;
  auto n = (*file)->ReadAt(3, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf.data(), *n), "3456");
  n = (*file)->ReadAt(8, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf.data(), *n), "89");
  n = (*file)->ReadAt(10, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0U);
  n = (*file)->ReadAt(1000, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0U);
  auto size = (*file)->Size();
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 10U);
}

TEST_P(EnvTest, MissingFilesAreNotFoundWithPathInMessage) {
  const std::string missing = Path("missing");
  auto seq = env_->NewSequentialFile(missing);
  ASSERT_FALSE(seq);
  EXPECT_EQ(seq.error().code(), Code::kNotFound);
  EXPECT_EQ(seq.error().message(),
            "open " + missing + " for reading: No such file or directory (errno 2)");
  auto ra = env_->NewRandomAccessFile(missing);
  ASSERT_FALSE(ra);
  EXPECT_EQ(ra.error().code(), Code::kNotFound);
  auto size = env_->FileSize(missing);
  ASSERT_FALSE(size);
  EXPECT_EQ(size.error().code(), Code::kNotFound);
  EXPECT_EQ(env_->RemoveFile(missing).error().code(), Code::kNotFound);
  EXPECT_EQ(env_->RenameFile(missing, Path("x")).error().code(), Code::kNotFound);
  EXPECT_EQ(env_->TruncateFile(missing, 0).error().code(), Code::kNotFound);
  EXPECT_EQ(env_->ListDir(missing).error().code(), Code::kNotFound);
  auto exists = env_->FileExists(missing);
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST_P(EnvTest, WritingIntoMissingDirectoryFails) {
  const std::string path = Path("no/such/dir/file");
  auto file = env_->NewWritableFile(path);
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), Code::kNotFound);
  EXPECT_EQ(file.error().message(),
            "open " + path + " for writing: No such file or directory (errno 2)");
}

TEST_P(EnvTest, CreateDirsMakesParentsAndIsIdempotent) {
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/z")));
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/z")));
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/")));
  WriteFile(Path("x/y/z/f"), "data");
  EXPECT_EQ(Read(Path("x/y/z/f")), "data");
  auto exists = env_->FileExists(Path("x/y"));
  ASSERT_TRUE(exists);
  EXPECT_TRUE(*exists);
  ASSERT_TRUE(env_->SyncDir(Path("x/y/z")));
}

TEST_P(EnvTest, CreateDirsThroughAFileFails) {
  WriteFile(Path("f"), "");
  EXPECT_FALSE(env_->CreateDirs(Path("f")));
  EXPECT_FALSE(env_->CreateDirs(Path("f/sub")));
}

TEST_P(EnvTest, ListDirIsSortedAndExcludesDots) {
  WriteFile(Path("b"), "");
  WriteFile(Path("a"), "");
  ASSERT_TRUE(env_->CreateDirs(Path("c/deeper")));
  WriteFile(Path("c/deeper/hidden"), "");
  auto names = env_->ListDir(root_);
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));
  auto sub = env_->ListDir(Path("c"));
  ASSERT_TRUE(sub);
  EXPECT_EQ(*sub, (std::vector<std::string>{"deeper"}));
}

TEST_P(EnvTest, RemoveDirOnlyWhenEmpty) {
  ASSERT_TRUE(env_->CreateDirs(Path("d")));
  WriteFile(Path("d/f"), "x");
  auto st = env_->RemoveDir(Path("d"));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("rmdir " + Path("d")), std::string::npos);
  ASSERT_TRUE(env_->RemoveFile(Path("d/f")));
  ASSERT_TRUE(env_->RemoveDir(Path("d")));
  auto exists = env_->FileExists(Path("d"));
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST_P(EnvTest, RenameReplacesTarget) {
  WriteFile(Path("from"), "new");
  WriteFile(Path("to"), "old");
  ASSERT_TRUE(env_->RenameFile(Path("from"), Path("to")));
  EXPECT_EQ(Read(Path("to")), "new");
  auto exists = env_->FileExists(Path("from"));
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST_P(EnvTest, RenameDirectoryMovesContents) {
  ASSERT_TRUE(env_->CreateDirs(Path("d1/sub")));
  WriteFile(Path("d1/sub/f"), "payload");
  ASSERT_TRUE(env_->RenameFile(Path("d1"), Path("d2")));
  EXPECT_EQ(Read(Path("d2/sub/f")), "payload");
  auto exists = env_->FileExists(Path("d1/sub/f"));
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST_P(EnvTest, OpenFileSurvivesRenameAndRemove) {
  auto file = env_->NewWritableFile(Path("a"));
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->Append("first,"));
  ASSERT_TRUE((*file)->Flush());
  ASSERT_TRUE(env_->RenameFile(Path("a"), Path("b")));
  ASSERT_TRUE((*file)->Append("second"));
  ASSERT_TRUE((*file)->Close());
  EXPECT_EQ(Read(Path("b")), "first,second");

  auto reader = env_->NewRandomAccessFile(Path("b"));
  ASSERT_TRUE(reader);
  ASSERT_TRUE(env_->RemoveFile(Path("b")));
  std::array<char, 5> buf;
  auto n = (*reader)->ReadAt(0, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(buf.data(), *n), "first");
}

TEST_P(EnvTest, TruncateShrinksAndExtendsWithZeros) {
  WriteFile(Path("a"), "0123456789");
  ASSERT_TRUE(env_->TruncateFile(Path("a"), 4));
  EXPECT_EQ(Read(Path("a")), "0123");
  ASSERT_TRUE(env_->TruncateFile(Path("a"), 6));
  EXPECT_EQ(Read(Path("a")), std::string("0123\0\0", 6));
}

TEST_P(EnvTest, WriteFileAtomicallyReplacesAndLeavesNoTemporary) {
  WriteFile(Path("cfg"), "version 1");
  ASSERT_TRUE(WriteFileAtomically(*env_, Path("cfg"), "version 2"));
  EXPECT_EQ(Read(Path("cfg")), "version 2");
  auto names = env_->ListDir(root_);
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"cfg"});
}

TEST_P(EnvTest, WriteFileAtomicallyIntoMissingDirFails) {
  auto st = WriteFileAtomically(*env_, Path("nodir/cfg"), "x");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kNotFound);
}

TEST_P(EnvTest, ConcurrentWritersToDistinctFiles) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string path = Path("t" + std::to_string(t));
      for (int round = 0; round < 20; ++round) {
        if (!WriteFileAtomically(*env_, path, std::string(100, static_cast<char>('a' + t)))) {
          ++failures;
        }
        if (!env_->ListDir(root_)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(Read(Path("t" + std::to_string(t))), std::string(100, static_cast<char>('a' + t)));
  }
}

TEST_P(EnvTest, RemoveTreeRemovesFilesAndNestedDirectories) {
  ASSERT_TRUE(env_->CreateDirs(Path("tree/a/b")));
  WriteFile(Path("tree/a/b/f"), "x");
  WriteFile(Path("tree/g"), "y");
  ASSERT_TRUE(RemoveTree(*env_, Path("tree")));
  EXPECT_FALSE(env_->FileExists(Path("tree")).value());
  WriteFile(Path("single"), "z");
  ASSERT_TRUE(RemoveTree(*env_, Path("single")));
  EXPECT_FALSE(env_->FileExists(Path("single")).value());
}

TEST_P(EnvTest, LockIsExclusiveUntilReleased) {
  const std::string path = Path("LOCK");
  auto first = env_->LockFile(path);
  ASSERT_TRUE(first) << first.error().ToString();
  auto second = env_->LockFile(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Code::kUnavailable);
  first->reset();
  EXPECT_TRUE(env_->LockFile(path));
}

INSTANTIATE_TEST_SUITE_P(Envs, EnvTest, testing::Values(Kind::kPosix, Kind::kMem),
                         [](const testing::TestParamInfo<Kind>& param_info) {
                           return param_info.param == Kind::kPosix ? "Posix" : "Mem";
                         });

TEST(ParentDirTest, Cases) {
  EXPECT_EQ(ParentDir("a/b/c"), "a/b");
  EXPECT_EQ(ParentDir("c"), ".");
  EXPECT_EQ(ParentDir("/c"), "/");
  EXPECT_EQ(ParentDir("/a/b/"), "/a");
  EXPECT_EQ(ParentDir("/"), "/");
}

TEST(PosixEnvTest, ErrorNamesOperationPathAndReason) {
  auto file = DefaultEnv().NewWritableFile("/proc/promorec-no-such-dir/x");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message(),
            "open /proc/promorec-no-such-dir/x for writing: No such file or directory (errno 2)");
}

}  // namespace
}  // namespace promorec::base
