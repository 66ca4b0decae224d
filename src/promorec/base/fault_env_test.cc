// Each injected fault, checked on top of both the in-memory and the POSIX Env
// so that crash tests written against either see the same failures.

#include "promorec/base/fault_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>

#include "promorec/base/mem_env.h"

namespace promorec::base {
namespace {

enum class Kind { kPosix, kMem };

void PrintTo(Kind kind, std::ostream* os) { *os << (kind == Kind::kPosix ? "Posix" : "Mem"); }

class FaultEnvTest : public testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kPosix) {
      base_ = &DefaultEnv();
      std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      root_ = testing::TempDir() + "promorec_fault_test_" + std::to_string(::getpid()) + "_" + name;
      Cleanup();
    } else {
      mem_ = NewMemEnv();
      base_ = mem_.get();
      root_ = "/fault";
    }
    ASSERT_TRUE(base_->CreateDirs(root_));
    env_ = std::make_unique<FaultInjectionEnv>(*base_);
  }

  void TearDown() override {
    if (GetParam() == Kind::kPosix) Cleanup();
  }

  void Cleanup() {
    if (auto names = base_->ListDir(root_)) {
      for (const auto& n : *names) (void)base_->RemoveFile(root_ + "/" + n);
    }
    (void)base_->RemoveDir(root_);
  }

  std::string Path(const std::string& name) const { return root_ + "/" + name; }

  std::string Contents(const std::string& name) {
    auto data = ReadFileToString(*base_, Path(name));
    EXPECT_TRUE(data) << data.error().ToString();
    return data.value_or("<error>");
  }

  std::unique_ptr<WritableFile> Open(const std::string& name) {
    auto file = env_->NewWritableFile(Path(name));
    EXPECT_TRUE(file) << file.error().ToString();
    return file ? std::move(*file) : nullptr;
  }

  Env* base_ = nullptr;
  std::unique_ptr<Env> mem_;
  std::unique_ptr<FaultInjectionEnv> env_;
  std::string root_;
};

TEST_P(FaultEnvTest, PassesThroughWhenNoFaultIsSet) {
  auto file = Open("f");
  ASSERT_TRUE(file->Append("hello"));
  ASSERT_TRUE(file->Sync());
  ASSERT_TRUE(file->Close());
  EXPECT_EQ(Contents("f"), "hello");
  EXPECT_EQ(env_->appends(), 1U);
  EXPECT_EQ(env_->syncs(), 1U);
  EXPECT_EQ(env_->bytes_appended(), 5U);
}

TEST_P(FaultEnvTest, AppendedDataReachesTheBaseEnvWithoutFlush) {
  auto file = Open("f");
  ASSERT_TRUE(file->Append("visible"));
  EXPECT_EQ(Contents("f"), "visible");
}

TEST_P(FaultEnvTest, FailedSyncReportsErrorAndIsNotDurable) {
  auto file = Open("f");
  ASSERT_TRUE(file->Append("durable,"));
  ASSERT_TRUE(file->Sync());
  ASSERT_TRUE(file->Append("lost"));
  env_->FailSyncs(true);
  auto st = file->Sync();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kIoError);
  EXPECT_NE(st.error().message().find("injected fsync failure"), std::string::npos);
  EXPECT_EQ(env_->syncs(), 2U);
  ASSERT_TRUE(env_->DropUnsyncedData());
  EXPECT_EQ(Contents("f"), "durable,");

  env_->FailSyncs(false);
  auto again = Open("g");
  ASSERT_TRUE(again->Append("ok"));
  EXPECT_TRUE(again->Sync());
}

TEST_P(FaultEnvTest, ShortWriteAppendsPrefixThenFailsOnce) {
  auto file = Open("f");
  ASSERT_TRUE(file->Append("head,"));
  env_->SetShortWrite(3);
  auto st = file->Append("abcdef");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kIoError);
  EXPECT_NE(st.error().message().find("3 of 6 bytes"), std::string::npos);
  EXPECT_EQ(Contents("f"), "head,abc");
  // One-shot: the next append is whole again.
  ASSERT_TRUE(file->Append("XY"));
  EXPECT_EQ(Contents("f"), "head,abcXY");
  EXPECT_EQ(file->Size(), 10U);
}

TEST_P(FaultEnvTest, SpaceLimitWritesWhatFitsThenNoSpace) {
  env_->SetSpaceLimit(10);
  auto file = Open("f");
  ASSERT_TRUE(file->Append("123456"));
  auto st = file->Append("789abc");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kNoSpace);
  EXPECT_NE(st.error().message().find("No space left on device"), std::string::npos);
  EXPECT_EQ(Contents("f"), "123456789a");
  // The limit is for the whole Env, not per file.
  auto other = Open("g");
  auto full = other->Append("z");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), Code::kNoSpace);
  EXPECT_EQ(Contents("g"), "");
  EXPECT_EQ(env_->bytes_appended(), 10U);
}

TEST_P(FaultEnvTest, FailWritesAfterCountsSuccessfulAppends) {
  env_->FailWritesAfter(2);
  auto file = Open("f");
  ASSERT_TRUE(file->Append("a"));
  ASSERT_TRUE(file->Append("b"));
  auto st = file->Append("c");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kIoError);
  EXPECT_FALSE(file->Append("d"));
  EXPECT_EQ(Contents("f"), "ab");
  EXPECT_EQ(env_->appends(), 4U);
  env_->ClearFaults();
  EXPECT_TRUE(file->Append("e"));
  EXPECT_EQ(Contents("f"), "abe");
}

TEST_P(FaultEnvTest, PowerCutKeepsOnlySyncedBytes) {
  auto synced = Open("synced");
  ASSERT_TRUE(synced->Append("kept"));
  ASSERT_TRUE(synced->Sync());
  ASSERT_TRUE(synced->Append("-dropped"));
  auto never = Open("never");
  ASSERT_TRUE(never->Append("gone"));
  ASSERT_TRUE(never->Close());

  ASSERT_TRUE(env_->DropUnsyncedData());
  EXPECT_EQ(Contents("synced"), "kept");
  EXPECT_EQ(Contents("never"), "");

  // Handles from before the cut belong to a dead process.
  auto st = synced->Append("zombie");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Code::kIoError);
  synced.reset();
  EXPECT_EQ(Contents("synced"), "kept");
}

TEST_P(FaultEnvTest, PreexistingDataOpenedForAppendIsDurable) {
  ASSERT_TRUE(WriteFileAtomically(*base_, Path("old"), "before,"));
  auto file = env_->NewAppendableFile(Path("old"));
  ASSERT_TRUE(file);
  ASSERT_TRUE((*file)->Append("after"));
  EXPECT_EQ(Contents("old"), "before,after");
  ASSERT_TRUE(env_->DropUnsyncedData());
  EXPECT_EQ(Contents("old"), "before,");
}

TEST_P(FaultEnvTest, AtomicWriteSurvivesPowerCutAndRenameCarriesSyncState) {
  ASSERT_TRUE(WriteFileAtomically(*env_, Path("manifest"), "v1"));
  ASSERT_TRUE(env_->DropUnsyncedData());
  EXPECT_EQ(Contents("manifest"), "v1");

  auto unsynced = Open("tmp");
  ASSERT_TRUE(unsynced->Append("unsynced"));
  ASSERT_TRUE(unsynced->Close());
  ASSERT_TRUE(env_->RenameFile(Path("tmp"), Path("manifest")));
  ASSERT_TRUE(env_->DropUnsyncedData());
  EXPECT_EQ(Contents("manifest"), "");
}

TEST_P(FaultEnvTest, AtomicWriteReportsFailedSync) {
  ASSERT_TRUE(WriteFileAtomically(*env_, Path("manifest"), "v1"));
  env_->FailSyncs(true);
  auto st = WriteFileAtomically(*env_, Path("manifest"), "v2");
  ASSERT_FALSE(st);
  EXPECT_EQ(Contents("manifest"), "v1");
  auto names = base_->ListDir(root_);
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, std::vector<std::string>{"manifest"});
}

TEST_P(FaultEnvTest, RemovedFilesAreForgotten) {
  auto file = Open("f");
  ASSERT_TRUE(file->Append("x"));
  ASSERT_TRUE(file->Close());
  ASSERT_TRUE(env_->RemoveFile(Path("f")));
  ASSERT_TRUE(env_->DropUnsyncedData());
  auto exists = base_->FileExists(Path("f"));
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

INSTANTIATE_TEST_SUITE_P(Envs, FaultEnvTest, testing::Values(Kind::kPosix, Kind::kMem),
                         [](const testing::TestParamInfo<Kind>& param_info) {
                           return param_info.param == Kind::kPosix ? "Posix" : "Mem";
                         });

}  // namespace
}  // namespace promorec::base
