// Test-only: an ingest writer on a real event log in memory whose disk can
// be made to fail (base::FaultInjectionEnv), and a reader of what it wrote.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/event/binary_record.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/metrics/registry.h"

namespace promorec::ingest::testing {

class WriterFixture : public ::testing::Test {
 protected:
  explicit WriterFixture(std::uint32_t shard_count = kClickStreamShards)
      : mem_(base::NewMemEnv()), env_(*mem_) {
    auto store = eventlog::LocalStreamStore::Open(env_, clock_, "/data/streams");
    EXPECT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    auto stream = OpenOrCreateStream(*store_, std::string(kClickStream), shard_count);
    EXPECT_TRUE(stream) << stream.error().ToString();
    stream_ = *stream;
    writer_ = std::make_unique<EventWriter>(stream_, registry_);
  }

  // The events of `shard` from sequence `from` on (0: the oldest kept), in
  // order; `*next` (if given) receives where a later read continues. Each
  // record's key must be its event's user id.
  std::vector<event::ClickEvent> ReadShard(std::uint32_t shard, std::uint64_t from = 0,
                                           std::uint64_t* next = nullptr) {
    if (from == 0) from = *stream_->Resolve(shard, {});
    auto batch = stream_->Read(shard, from, {});
    EXPECT_TRUE(batch) << batch.error().ToString();
    std::vector<event::ClickEvent> out;
    for (const auto& record : batch->records) {
      EXPECT_TRUE(event::DecodeBinaryRecord(record.data, &out.emplace_back()));
      EXPECT_EQ(record.partition_key, out.back().user_id);
    }
    if (next != nullptr) *next = batch->next_sequence;
    return out;
  }

  std::unique_ptr<base::Env> mem_;
  base::FaultInjectionEnv env_;
  base::FakeClock clock_{1'700'000'000'000'000};
  std::unique_ptr<eventlog::LocalStreamStore> store_;
  std::shared_ptr<eventlog::Stream> stream_;
  metrics::Registry registry_;
  std::unique_ptr<EventWriter> writer_;
};

}  // namespace promorec::ingest::testing
