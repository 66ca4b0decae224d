// Click events in Kinesis records: DecodeClickData, their event ids, their
// append to the click stream (through a fake append function) and what
// happens to records put to the click stream itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "promorec/base/base64.h"
#include "promorec/event/binary_record.h"
#include "promorec/ingest/events_body.h"
#include "promorec/kinesis/kinesis_api.h"
#include "promorec/kinesis/kinesis_test_util.h"

namespace promorec::kinesis {
namespace {

using testing::Int;
using testing::Json;
using testing::kStartMicros;
using testing::PutBody;
using testing::RecordJson;
using testing::Str;

constexpr std::string_view kLine = "bob,0,de,6513,p1,2016-06-14 17:28:47.0,1";
constexpr std::string_view kJsonOwnId =
    R"({"event_id":"e-7","user_id":"ann","product":"p2","rating":0,"timestamp":1518318207})";
constexpr std::string_view kJsonNoTime = R"({"userid":"cy","merchant":"p3","rating":"1"})";

std::string PutRecordsBody(std::string_view stream,
                           const std::vector<std::pair<std::string, std::string>>& records) {
  std::string body = R"({"StreamName":")" + std::string(stream) + R"(","Records":[)";
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i > 0) body += ",";
    body += RecordJson(records[i].first, records[i].second);
  }
  return body + "]}";
}

// The id the same data gets when it is posted to /v1/events at time `now`.
std::string HttpEventId(std::string_view content_type, std::string_view data,
                        std::int64_t now = 42) {
  ingest::DecodedEvents decoded;
  EXPECT_TRUE(ingest::DecodeEventsBody(content_type, data, now, &decoded));
  EXPECT_EQ(decoded.events().size(), 1u);
  return decoded.events().empty() ? "" : decoded.events()[0].event_id;
}

TEST(DecodeClickData, ClassicLineOrJsonEvent) {
  event::ClickEvent e;
  ASSERT_TRUE(DecodeClickData(std::string(kLine) + "\n", 5, &e));
  EXPECT_EQ(e.user_id, "bob");
  EXPECT_EQ(e.product, "p1");
  EXPECT_EQ(e.rating, 1);
  EXPECT_EQ(e.event_id, HttpEventId("text/csv", kLine)) << "a line's content id";
  ASSERT_TRUE(DecodeClickData(std::string(" ") + std::string(kJsonOwnId), 5, &e));
  EXPECT_EQ(e.event_id, "e-7");
  EXPECT_EQ(e.timestamp_us, 1'518'318'207'000'000);
  ASSERT_TRUE(DecodeClickData(kJsonNoTime, 5, &e));
  EXPECT_EQ(e.user_id, "cy");
  EXPECT_EQ(e.event_id, HttpEventId("application/json", kJsonNoTime))
      << "the content id of what was sent, whatever time fills in a missing timestamp";
  EXPECT_EQ(e.timestamp_us, 5);
}

TEST(DecodeClickData, SaysWhyDataIsNoClickEvent) {
  event::ClickEvent e;
  const auto reason = [&e](std::string_view data) {
    auto decoded = DecodeClickData(data, 0, &e);
    return decoded ? std::string("ok") : std::string(event::ReasonName(decoded.error().reason));
  };
  EXPECT_EQ(reason(""), "wrong_field_count");
  EXPECT_EQ(reason("hello"), "wrong_field_count");
  EXPECT_EQ(reason("bob,0,de,6513,p1,2016-06-14 17:28:47.0,7"), "bad_rating");
  EXPECT_EQ(reason(std::string(kLine) + "\nx,y"), "bad_record");
  EXPECT_EQ(reason(R"({"user_id":"ann"})"), "missing_field");
  EXPECT_EQ(reason(R"({"user_id":"ann","product":"p","rating":1)"), "bad_json");
  EXPECT_EQ(reason(std::string("\x00\x01\xff", 3)), "wrong_field_count");
}

TEST(DecodeClickData, AnEventHasOneIdWhicheverWayItArrives) {
  event::ClickEvent e;
  ASSERT_TRUE(DecodeClickData(kLine, 5, &e));
  EXPECT_EQ(e.event_id.size(), 32u);
  EXPECT_EQ(e.event_id, HttpEventId("text/csv", kLine));
  ASSERT_TRUE(DecodeClickData(kJsonNoTime, 5, &e));
  EXPECT_EQ(e.event_id, HttpEventId("application/x-ndjson", kJsonNoTime, 99));
  ASSERT_TRUE(DecodeClickData(R"({"userid":"cy","merchant":"p3","rating":"0"})", 5, &e));
  EXPECT_NE(e.event_id, HttpEventId("application/json", kJsonNoTime)) << "other content";
}

// A KinesisApi whose click events go to a fake append function.
class KinesisClicksTest : public testing::KinesisFixture {
 protected:
  KinesisClicksTest() {
    KinesisOptions options;
    options.append_clicks = [this](std::span<const event::ClickEvent> events,
                                   std::span<eventlog::PutResult> results) -> base::Status {
      std::lock_guard lock(mu_);
      ++appends_;
      if (fail_) return base::MakeError(base::Code::kIoError, "disk full");
      for (std::size_t i = 0; i < events.size(); ++i) {
        if (!results.empty()) results[i] = eventlog::PutResult{3, 100 + appended_.size()};
        appended_.push_back(events[i]);
      }
      return {};
    };
    options.on_record = [this](std::string_view stream, std::string_view data,
                               KinesisRecordKind kind) {
      std::lock_guard lock(mu_);
      kinds_.push_back({std::string(stream), std::string(data), kind});
    };
    Reset(options);
  }

  // Every record stored in `stream`, in shard order.
  std::vector<std::string> Stored(std::string_view stream) const {
    std::vector<std::string> out;
    auto opened = store_->OpenStream(stream);
    EXPECT_TRUE(opened);
    const std::uint32_t shards = (*opened)->options().shard_count;
    for (std::uint32_t shard = 0; shard < shards; ++shard) {
      auto batch = (*opened)->Read(shard, 1, {});
      EXPECT_TRUE(batch);
      for (const auto& record : batch->records) out.emplace_back(record.data);
    }
    return out;
  }

  struct Seen {
    std::string stream;
    std::string data;
    KinesisRecordKind kind;
    friend bool operator==(const Seen&, const Seen&) = default;
  };

  std::mutex mu_;
  bool fail_ = false;
  int appends_ = 0;
  std::vector<event::ClickEvent> appended_;
  std::vector<Seen> kinds_;
};

TEST_F(KinesisClicksTest, ClickRecordsAreStoredAndAppendedAsEvents) {
  CreateStream("shop", 2);
  CallOk("PutRecord", PutBody("shop", "u1", kLine));
  const Json reply =
      CallOk("PutRecords", PutRecordsBody("shop", {{"u2", std::string(kJsonOwnId)},
                                                   {"u3", "not a click"},
                                                   {"u4", std::string(kJsonNoTime)}}));
  EXPECT_EQ(Int(reply["FailedRecordCount"]), 0);
  // Every record is in its stream as it came.
  auto stored = Stored("shop");
  std::sort(stored.begin(), stored.end());
  std::vector<std::string> sent = {std::string(kLine), std::string(kJsonOwnId), "not a click",
                                   std::string(kJsonNoTime)};
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(stored, sent);
  // The click events were appended, one append per request.
  EXPECT_EQ(appends_, 2);
  ASSERT_EQ(appended_.size(), 3u);
  EXPECT_EQ(appended_[0].user_id, "bob");
  EXPECT_EQ(appended_[0].event_id, HttpEventId("text/csv", kLine));
  EXPECT_EQ(appended_[1].event_id, "e-7");
  EXPECT_EQ(appended_[2].user_id, "cy");
  EXPECT_EQ(appended_[2].event_id, HttpEventId("application/json", kJsonNoTime));
  EXPECT_EQ(appended_[2].timestamp_us, kStartMicros) << "no timestamp: the arrival time";
  EXPECT_EQ(kinds_,
            (std::vector<Seen>{{"shop", std::string(kLine), KinesisRecordKind::kClick},
                               {"shop", std::string(kJsonOwnId), KinesisRecordKind::kClick},
                               {"shop", "not a click", KinesisRecordKind::kOther},
                               {"shop", std::string(kJsonNoTime), KinesisRecordKind::kClick}}));
}

TEST_F(KinesisClicksTest, ARetriedRecordGivesItsEventTheSameId) {
  CreateStream("shop", 1);
  CallOk("PutRecord", PutBody("shop", "u1", kJsonNoTime));
  clock_.Advance(std::chrono::seconds(3));
  CallOk("PutRecords", PutRecordsBody("shop", {{"u1", std::string(kJsonNoTime)}}));
  ASSERT_EQ(appended_.size(), 2u);
  EXPECT_EQ(appended_[0].event_id, appended_[1].event_id);
  // The same event under another key, or in another stream, is still the
  // same event: its id comes from what was sent, not from the record.
  CallOk("PutRecord", PutBody("shop", "u9", kJsonNoTime));
  CreateStream("other", 1);
  CallOk("PutRecord", PutBody("other", "u1", kJsonNoTime));
  ASSERT_EQ(appended_.size(), 4u);
  EXPECT_EQ(appended_[2].event_id, appended_[0].event_id);
  EXPECT_EQ(appended_[3].event_id, appended_[0].event_id);
}

TEST_F(KinesisClicksTest, AFailedAppendFailsTheClickRecordsOnly) {
  CreateStream("shop", 1);
  fail_ = true;
  const auto [type, message] = Error(Call("PutRecord", PutBody("shop", "u1", kLine)), 500);
  EXPECT_EQ(type, "InternalFailure");
  EXPECT_NE(message.find("disk full"), std::string::npos) << message;
  const Json reply =
      CallOk("PutRecords", PutRecordsBody("shop", {{"u1", std::string(kLine)}, {"u2", "other"}}));
  EXPECT_EQ(Int(reply["FailedRecordCount"]), 1);
  const auto records = reply["Records"].get_array().value();
  EXPECT_EQ(Str(records.at(0)["ErrorCode"].value()), "InternalFailure");
  EXPECT_EQ(Str(records.at(1)["ShardId"].value()), "shardId-000000000000");
  // The records themselves were stored (a retry stores them again; the
  // event keeps its id).
  EXPECT_EQ(Stored("shop").size(), 3u);
  EXPECT_EQ(kinds_, (std::vector<Seen>{{"shop", "other", KinesisRecordKind::kOther}}));
}

TEST_F(KinesisClicksTest, TheClickStreamHoldsOnlyEventRecords) {
  CreateStream("clicks", 4);
  const Json put = CallOk("PutRecord", PutBody("clicks", "any-key", kLine));
  // The record is the event, stored by the append function: its shard and
  // sequence number are the event's.
  EXPECT_EQ(Str(put["ShardId"]), "shardId-000000000003");
  EXPECT_EQ(Str(put["SequenceNumber"]), "100");
  ASSERT_EQ(appended_.size(), 1u);
  EXPECT_EQ(appended_[0].event_id, HttpEventId("text/csv", kLine));

  const auto [type, message] = Error(Call("PutRecord", PutBody("clicks", "k", "not a click")));
  EXPECT_EQ(type, "InvalidArgumentException");
  EXPECT_NE(message.find("must be a click event"), std::string::npos) << message;

  event::ClickEvent binary_event = appended_[0];
  binary_event.event_id = "copied";
  std::string binary;
  event::AppendBinaryRecord(binary_event, &binary);
  const Json reply = CallOk(
      "PutRecords",
      PutRecordsBody("clicks", {{"a", "x,y"}, {"b", std::string(kJsonOwnId)}, {"c", binary}}));
  EXPECT_EQ(Int(reply["FailedRecordCount"]), 1);
  const auto records = reply["Records"].get_array().value();
  EXPECT_EQ(Str(records.at(0)["ErrorCode"].value()), "InvalidArgumentException");
  EXPECT_EQ(Str(records.at(1)["SequenceNumber"].value()), "101");
  EXPECT_EQ(Str(records.at(2)["SequenceNumber"].value()), "102");
  ASSERT_EQ(appended_.size(), 3u);
  EXPECT_EQ(appended_[1].event_id, "e-7");
  EXPECT_EQ(appended_[2], binary_event);
  // Nothing reached the stream but through the append function.
  EXPECT_TRUE(Stored("clicks").empty());
  EXPECT_EQ(kinds_[1], (Seen{"clicks", "not a click", KinesisRecordKind::kRejected}));
  EXPECT_EQ(kinds_[2], (Seen{"clicks", "x,y", KinesisRecordKind::kRejected}));
  EXPECT_EQ(kinds_.size(), 5u);
}

TEST_F(KinesisClicksTest, WithoutAnAppendFunctionTheClickStreamIsPlain) {
  Reset();
  CreateStream("clicks", 1);
  CallOk("PutRecord", PutBody("clicks", "k", "not a click"));
  EXPECT_EQ(Stored("clicks"), (std::vector<std::string>{"not a click"}));
  EXPECT_TRUE(appended_.empty());
}

}  // namespace
}  // namespace promorec::kinesis
