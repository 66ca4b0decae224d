#include "promorec/eventlog/stream_meta.h"

#include <gtest/gtest.h>

#include "promorec/base/mem_env.h"

namespace promorec::eventlog {
namespace {

StreamMeta Sample() {
  StreamMeta meta;
  meta.name = "clicks";
  meta.options.shard_count = 4;
  meta.options.durability = Durability::kInterval;
  meta.options.sync_interval_ms = 250;
  meta.options.retention_us = 72 * kHourMicros;
  meta.options.retention_bytes = 1ull << 30;
  meta.options.segment_bytes = 8ull << 20;
  meta.created_us = 1'700'000'000'123'456;
  return meta;
}

TEST(StreamMetaTest, RoundTripsThroughTheFile) {
  auto env = base::NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/s"));
  ASSERT_TRUE(WriteStreamMeta(*env, "/s", Sample()));
  auto read = ReadStreamMeta(*env, "/s");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->name, "clicks");
  EXPECT_EQ(read->options.shard_count, 4u);
  EXPECT_EQ(read->options.durability, Durability::kInterval);
  EXPECT_EQ(read->options.sync_interval_ms, 250u);
  EXPECT_EQ(read->options.retention_us, 72 * kHourMicros);
  EXPECT_EQ(read->options.retention_bytes, 1ull << 30);
  EXPECT_EQ(read->options.segment_bytes, 8ull << 20);
  EXPECT_EQ(read->created_us, 1'700'000'000'123'456);
}

TEST(StreamMetaTest, EveryFlippedByteIsCaught) {
  const std::string bytes = EncodeStreamMeta(Sample());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x40);
    auto decoded = DecodeStreamMeta(damaged);
    ASSERT_FALSE(decoded) << "byte " << i;
    EXPECT_EQ(decoded.error().code(), base::Code::kCorruption);
  }
}

TEST(StreamMetaTest, ShortOrForeignFilesSayWhy) {
  EXPECT_EQ(DecodeStreamMeta("PROMOSTR").error().message(),
            "STREAM file is 8 bytes, shorter than its fixed part");
  std::string other = EncodeStreamMeta(Sample());
  other[0] = 'X';
  EXPECT_EQ(DecodeStreamMeta(other).error().message(), "STREAM file has a bad magic number");
  auto env = base::NewMemEnv();
  EXPECT_EQ(ReadStreamMeta(*env, "/missing").error().code(), base::Code::kNotFound);
}

}  // namespace
}  // namespace promorec::eventlog
