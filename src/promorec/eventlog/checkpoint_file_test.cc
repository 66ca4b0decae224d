#include "promorec/eventlog/checkpoint_file.h"

#include <gtest/gtest.h>

#include <string>

#include "promorec/base/crc32c.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/byte_io.h"
#include "promorec/testing/golden.h"

namespace promorec::eventlog {
namespace {

void Reseal(std::string* bytes) {
  std::string crc;
  PutFixed32(&crc, base::Crc32cMask(base::Crc32c(std::string_view(*bytes).substr(0, 36))));
  bytes->replace(36, 4, crc);
}

std::string DecodeError(const std::string& bytes) {
  auto decoded = DecodeCheckpoint(bytes);
  EXPECT_FALSE(decoded.has_value());
  if (decoded.has_value()) return "";
  EXPECT_EQ(decoded.error().code(), base::Code::kCorruption);
  return decoded.error().message();
}

TEST(Checkpoint, EncodesTheDocumentedLayout) {
  const std::string bytes = EncodeCheckpoint({3, 4200001, 1700000000000001});
  ASSERT_EQ(bytes.size(), 40u);
  EXPECT_EQ(bytes.substr(0, 8), "PROMOCKP");
  EXPECT_EQ(GetFixed32(bytes.data() + 8), 1u);
  EXPECT_EQ(GetFixed32(bytes.data() + 12), 3u);
  EXPECT_EQ(GetFixed64(bytes.data() + 16), 4200001u);
  EXPECT_EQ(GetFixed64(bytes.data() + 24), 1700000000000001u);
  EXPECT_EQ(GetFixed32(bytes.data() + 32), 0u);
  EXPECT_EQ(base::Crc32cUnmask(GetFixed32(bytes.data() + 36)),
            base::Crc32c(std::string_view(bytes).substr(0, 36)));
}

TEST(Checkpoint, RoundTrips) {
  for (const Checkpoint& c : {Checkpoint{0, 0, 0}, Checkpoint{1023, ~std::uint64_t{0}, -1},
                              Checkpoint{7, 99, 1700000000000001}}) {
    auto back = DecodeCheckpoint(EncodeCheckpoint(c));
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    EXPECT_EQ(back->shard, c.shard);
    EXPECT_EQ(back->sequence, c.sequence);
    EXPECT_EQ(back->updated_us, c.updated_us);
  }
}

TEST(Checkpoint, ReportsWhatIsWrong) {
  const std::string good = EncodeCheckpoint({1, 2, 3});
  EXPECT_EQ(DecodeError(""), "checkpoint is 0 bytes, expected 40");
  EXPECT_EQ(DecodeError(good.substr(0, 39)), "checkpoint is 39 bytes, expected 40");
  EXPECT_EQ(DecodeError(good + "x"), "checkpoint is 41 bytes, expected 40");
  std::string bad = good;
  bad[7] = 'X';
  EXPECT_EQ(DecodeError(bad), "checkpoint has no PROMOCKP magic");
  bad = good;
  bad[17] ^= 1;
  EXPECT_EQ(DecodeError(bad), "checkpoint CRC mismatch");
  bad = good;
  bad[8] = 2;
  Reseal(&bad);
  EXPECT_EQ(DecodeError(bad),
            "checkpoint format version 2 is not supported (this build reads version 1)");
  bad = good;
  bad[33] = 1;
  Reseal(&bad);
  EXPECT_EQ(DecodeError(bad), "checkpoint bytes [32, 36) are not zero");
}

TEST(Checkpoint, FileRoundTripsAndReplacesAtomically) {
  auto env = base::NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/s/consumers/c").has_value());
  const std::string path = "/s/consumers/c/shard-0000.ckpt";
  auto missing = ReadCheckpointFile(*env, path);
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(WriteCheckpointFile(*env, path, {0, 10, 100}).has_value());
  ASSERT_TRUE(WriteCheckpointFile(*env, path, {0, 20, 200}).has_value());
  auto read = ReadCheckpointFile(*env, path);
  ASSERT_TRUE(read.has_value() && read->has_value());
  EXPECT_EQ((*read)->sequence, 20u);
  EXPECT_EQ((*read)->updated_us, 200);
  EXPECT_FALSE(*env->FileExists(path + ".tmp"));
}

TEST(Checkpoint, DamagedFileIsCorruptionNamingThePath) {
  auto env = base::NewMemEnv();
  {
    auto file = env->NewWritableFile("/x.ckpt");
    ASSERT_TRUE(file.has_value());
    ASSERT_TRUE((*file)->Append("PROMOCKP and not much else").has_value());
    ASSERT_TRUE((*file)->Close().has_value());
  }
  auto read = ReadCheckpointFile(*env, "/x.ckpt");
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), base::Code::kCorruption);
  EXPECT_EQ(read.error().message(), "/x.ckpt: checkpoint is 26 bytes, expected 40");
}

TEST(Checkpoint, PowerCutLeavesTheOldOrTheNew) {
  auto mem = base::NewMemEnv();
  base::FaultInjectionEnv env(*mem);
  const std::string path = "/shard-0001.ckpt";
  ASSERT_TRUE(WriteCheckpointFile(env, path, {1, 5, 50}).has_value());
  // A failing sync stops the write before the rename: the old one stays.
  env.FailSyncs(true);
  EXPECT_FALSE(WriteCheckpointFile(env, path, {1, 6, 60}).has_value());
  env.ClearFaults();
  ASSERT_TRUE(env.DropUnsyncedData().has_value());
  auto read = ReadCheckpointFile(env, path);
  ASSERT_TRUE(read.has_value() && read->has_value()) << (read ? "absent" : read.error().ToString());
  EXPECT_EQ((*read)->sequence, 5u);
}

std::string DescribeCheckpoint(const std::string& bytes) {
  auto decoded = DecodeCheckpoint(bytes);
  if (!decoded) return "error: " + decoded.error().message() + "\n";
  return "ok: shard " + std::to_string(decoded->shard) + ", sequence " +
         std::to_string(decoded->sequence) + ", updated " + std::to_string(decoded->updated_us) +
         " us\n";
}

TEST(Checkpoint, Corpus) {
  EXPECT_GE(promorec::testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/eventlog", ".ckpt",
                                           DescribeCheckpoint),
            6);
}

}  // namespace
}  // namespace promorec::eventlog
