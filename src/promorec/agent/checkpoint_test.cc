#include "promorec/agent/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "promorec/base/mem_env.h"
#include "promorec/testing/golden.h"

namespace promorec::agent {
namespace {

std::vector<CheckpointEntry> Sample() {
  return {
      {FileId{2049, 131}, "/var/log/shop/clicks.log", 4096, 128, HeadHash("x")},
      {FileId{2049, 7}, "/odd dir/50%\nnew\rline.log", 0, 0, 0},
      {FileId{~0ull, ~0ull}, "z", ~0ull, 128, ~0ull},
  };
}

TEST(CheckpointTest, RoundTrips) {
  const std::string text = EncodeCheckpoint(Sample());
  EXPECT_TRUE(text.starts_with("promorec-agent-checkpoint 1\nfile 2049 131 4096 128 "));
  auto decoded = DecodeCheckpoint(text);
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(*decoded, Sample());
  auto empty = DecodeCheckpoint(EncodeCheckpoint({}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(CheckpointTest, DamageIsCorruption) {
  const std::string good = EncodeCheckpoint(Sample());
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    auto decoded = DecodeCheckpoint(bad);
    EXPECT_FALSE(decoded) << "flipped byte " << i;
    if (!decoded) {
      EXPECT_EQ(decoded.error().code(), base::Code::kCorruption);
    }
  }
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(DecodeCheckpoint(good.substr(0, cut))) << "cut at " << cut;
  }
  auto wrong = DecodeCheckpoint("promorec-agent-checkpoint 2\ncrc 00000000\n");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("version 1"), std::string::npos);
}

TEST(CheckpointTest, SaveAndLoadThroughAnEnv) {
  auto env = base::NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/run"));
  auto absent = LoadCheckpoint(*env, "/run/agent.checkpoint");
  ASSERT_TRUE(absent) << absent.error().ToString();
  EXPECT_TRUE(absent->empty());
  ASSERT_TRUE(SaveCheckpoint(*env, "/run/agent.checkpoint", Sample()));
  auto loaded = LoadCheckpoint(*env, "/run/agent.checkpoint");
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, Sample());
  ASSERT_TRUE(SaveCheckpoint(*env, "/run/agent.checkpoint", {}));
  EXPECT_TRUE(LoadCheckpoint(*env, "/run/agent.checkpoint")->empty());
}

// Every file under tests/corpus/agent-checkpoint/ is refused exactly as
// the .expected file beside it says.
TEST(CheckpointTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/agent-checkpoint";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".ckpt") continue;
    auto decoded = DecodeCheckpoint(testing::ReadTestFile(entry.path()));
    const std::string actual = decoded
                                   ? "accepted " + std::to_string(decoded->size()) + " entries\n"
                                   : decoded.error().ToString() + "\n";
    testing::ExpectGolden(entry.path().string() + ".expected", actual, entry.path());
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace promorec::agent
