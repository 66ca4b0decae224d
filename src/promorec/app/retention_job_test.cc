#include "promorec/app/retention_job.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::app {
namespace {

TEST(RetentionJobTest, EveryStreamIsTrimmedAsItsSettingsSayAndCounted) {
  const auto env = base::NewMemEnv();
  base::FakeClock clock(1'700'000'000'000'000);
  auto store = eventlog::LocalStreamStore::Open(*env, clock, "/data/streams");
  ASSERT_TRUE(store) << store.error().ToString();
  eventlog::StreamOptions small{.shard_count = 1, .segment_bytes = 64 << 10};
  small.retention_bytes = 128 << 10;
  auto big = (*store)->CreateStream("clicks", small);
  ASSERT_TRUE(big);
  ASSERT_TRUE((*store)->CreateStream("quiet", eventlog::StreamOptions{.shard_count = 1}));
  const std::string data(1000, 'x');
  for (int i = 0; i < 600; ++i) {
    const eventlog::PutRecord record{"k", data, std::nullopt};
    ASSERT_TRUE((*big)->Append(std::span(&record, 1)));
  }
  const std::uint64_t before = (*(*big)->DescribeShards())[0].bytes;
  metrics::Registry registry;
  ASSERT_TRUE(EnforceRetentionEverywhere(**store, registry));
  const std::uint64_t after = (*(*big)->DescribeShards())[0].bytes;
  EXPECT_LT(after, before);
  const std::string exposition = registry.Exposition();
  EXPECT_NE(exposition.find("promorec_retention_runs_total 1\n"), std::string::npos) << exposition;
  EXPECT_NE(exposition.find("promorec_retention_bytes_deleted_total{stream=\"clicks\"} " +
                            std::to_string(before - after)),
            std::string::npos)
      << exposition;
  EXPECT_NE(exposition.find("promorec_retention_segments_deleted_total{stream=\"quiet\"} 0"),
            std::string::npos)
      << exposition;
}

}  // namespace
}  // namespace promorec::app
