#include "promorec/ingest/event_writer.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "promorec/event/validate.h"
#include "promorec/ingest/ingest_test_util.h"

namespace promorec::ingest {
namespace {

event::ClickEvent Event(std::string user, std::string product, std::int64_t timestamp_us,
                        std::string id = "") {
  event::ClickEvent e;
  e.event_id = std::move(id);
  e.user_id = std::move(user);
  e.product = std::move(product);
  e.timestamp_us = timestamp_us;
  return e;
}

// A writer on a real four-shard event log in memory whose disk can fail.
class EventWriterTest : public testing::WriterFixture {
 protected:
  std::vector<event::ClickEvent> Shard(std::uint32_t shard) { return ReadShard(shard); }
};

TEST_F(EventWriterTest, OneUsersEventsStayInOneShardInOrder) {
  std::vector<event::ClickEvent> events;
  for (int i = 0; i < 40; ++i) {
    events.push_back(Event("user" + std::to_string(i % 5), "p" + std::to_string(i), i + 1,
                           "id" + std::to_string(i)));
  }
  std::vector<eventlog::PutResult> results(events.size());
  ASSERT_TRUE(writer_->Append(events, results));
  std::map<std::string, std::uint32_t> shard_of;
  std::vector<std::uint64_t> last(kClickStreamShards, 0);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto [it, inserted] = shard_of.emplace(events[i].user_id, results[i].shard);
    EXPECT_EQ(it->second, results[i].shard) << "user " << events[i].user_id;
    last[results[i].shard] = std::max(last[results[i].shard], results[i].sequence);
  }
  EXPECT_EQ(writer_->LastAcknowledged(), last);
  std::size_t stored = 0;
  for (std::uint32_t shard = 0; shard < kClickStreamShards; ++shard) {
    const auto in_shard = Shard(shard);
    stored += in_shard.size();
    std::map<std::string, std::int64_t> previous;
    for (const auto& e : in_shard) {
      EXPECT_EQ(shard_of.at(e.user_id), shard);
      EXPECT_GT(e.timestamp_us, previous[e.user_id]) << "in the order appended";
      previous[e.user_id] = e.timestamp_us;
    }
  }
  EXPECT_EQ(stored, events.size());
}

TEST_F(EventWriterTest, AnEventWithoutAnIdGetsItsContentId) {
  event::ClickEvent built = Event("u", "p", 5);
  ASSERT_TRUE(writer_->Append(std::span(&built, 1)));
  event::ClickEvent expected = built;
  std::string scratch;
  event::AssignContentEventId(&expected, &scratch);
  ASSERT_EQ(expected.event_id.size(), 32u);
  std::vector<event::ClickEvent> stored;
  for (std::uint32_t shard = 0; shard < kClickStreamShards; ++shard) {
    for (auto& e : Shard(shard)) stored.push_back(std::move(e));
  }
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0], expected);
}

TEST_F(EventWriterTest, AFailedAppendIsAnErrorAndAcknowledgesNothing) {
  const event::ClickEvent e = Event("u", "p", 5, "a");
  ASSERT_TRUE(writer_->Append(std::span(&e, 1)));
  const std::vector<std::uint64_t> before = writer_->LastAcknowledged();
  env_.FailWritesAfter(0);
  const event::ClickEvent next = Event("u", "q", 6, "b");
  auto failed = writer_->Append(std::span(&next, 1));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().ToString().find("appending to stream clicks"), std::string::npos)
      << failed.error().ToString();
  EXPECT_EQ(writer_->LastAcknowledged(), before);
}

TEST_F(EventWriterTest, BufferedWriterAppendsFullBatchesAndStopsAtTheFirstFailure) {
  BufferedWriter buffered(*writer_, 3);
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(buffered.Add(Event("u", "p", i + 1, "id" + std::to_string(i))));
  }
  EXPECT_EQ(buffered.stored(), 6u) << "two full batches";
  ASSERT_TRUE(buffered.Flush());
  EXPECT_EQ(buffered.stored(), 7u);
  env_.FailWritesAfter(0);
  ASSERT_TRUE(buffered.Add(Event("u", "p", 9, "x")));
  EXPECT_FALSE(buffered.Flush());
  env_.ClearFaults();
  EXPECT_FALSE(buffered.Add(Event("u", "p", 10, "y"))) << "the first error sticks";
  EXPECT_EQ(buffered.stored(), 7u);
}

TEST_F(EventWriterTest, CountsAcceptedAndRejectedEvents) {
  DecodedEvents decoded;
  ASSERT_TRUE(DecodeEventsBody("text/csv",
                               "u1,o1,de,c1,m1,1518318207,1\n"
                               "u2,o2,de,c1,m1,1518318207,yes\n"
                               "u3,o3,de,c1,m1,1518318207,2\n",
                               0, &decoded));
  ASSERT_TRUE(writer_->Append(decoded.events()));
  writer_->CountDecoded(decoded);
  const std::string exposition = registry_.Exposition();
  EXPECT_NE(exposition.find("promorec_events_accepted_total 1\n"), std::string::npos) << exposition;
  EXPECT_NE(exposition.find("promorec_events_rejected_total{reason=\"bad_rating\"} 2\n"),
            std::string::npos)
      << exposition;
}

}  // namespace
}  // namespace promorec::ingest
