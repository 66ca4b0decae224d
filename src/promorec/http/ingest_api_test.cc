#include "promorec/http/ingest_api.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "promorec/ingest/ingest_test_util.h"

namespace promorec::http {
namespace {

Request Post(std::string content_type, std::string body) {
  Request r;
  r.method = "POST";
  r.path = "/v1/events";
  r.headers["content-type"] = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// One shard, so that the events read back are in request order.
class IngestApiTest : public ingest::testing::WriterFixture {
 protected:
  IngestApiTest() : WriterFixture(1) {}

  // The events appended since the last call, in order.
  std::vector<event::ClickEvent> NewEvents() { return ReadShard(0, next_, &next_); }

  std::uint64_t next_ = 0;
};

TEST_F(IngestApiTest, GoodEventsAreAppendedAndBadOnesListed) {
  const Response r =
      HandleEvents(Post("text/csv",
                        "userid,offerid,countrycode,category,merchant,utcdate,rating\n"
                        "u1,o1,de,c1,m1,1518318207.8448,1\n"
                        "u2,o2,de,c1,m1,1518318207.8448,yes\n"
                        "u3,o3,fr,c2,m2,1518318208,0\n"),
                   1'600'000'000'000'000, *writer_);
  EXPECT_EQ(r.status, 200);
  const auto stored = NewEvents();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].user_id, "u3");
  EXPECT_NE(r.body.find("\"accepted\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":1,\"line\":3,\"reason\":\"bad_rating\",\"field\":\"rating\""),
            std::string::npos)
      << r.body;
}

TEST_F(IngestApiTest, NdjsonGetsTheArrivalTimeWhenItHasNone) {
  const Response r =
      HandleEvents(Post("application/x-ndjson",
                        "{\"userid\":\"a\",\"offerid\":\"o\",\"countrycode\":\"de\",\"category\":"
                        "\"c\",\"merchant\":\"m\",\"rating\":1}\n{\"userid\":7}\n"),
                   1'700'000'000'000'000, *writer_);
  EXPECT_EQ(r.status, 200);
  const auto stored = NewEvents();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].timestamp_us, 1'700'000'000'000'000);
  EXPECT_NE(r.body.find("\"index\":1"), std::string::npos) << r.body;
}

TEST_F(IngestApiTest, ErrorsSayWhy) {
  EXPECT_EQ(HandleEvents(Post("application/xml", "<a/>"), 0, *writer_).status, 415);
  EXPECT_EQ(HandleEvents(Post("application/json", "  \n"), 0, *writer_).status, 400);
  env_.SetSpaceLimit(0);
  const Response r = HandleEvents(Post("application/json",
                                       "{\"userid\":\"a\",\"offerid\":\"o\",\"countrycode\":\"de\","
                                       "\"category\":\"c\",\"merchant\":\"m\",\"rating\":1}"),
                                  0, *writer_);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("no_space"), std::string::npos) << r.body;
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(IngestApiTest, SuccessiveRequestsOnOneThreadShareNothing) {
  // Each thread reuses its decoder and event storage from request to
  // request: nothing of one request may show in the next.
  const Response first =
      HandleEvents(Post("application/json",
                        R"([{"user_id":"a","product":"p","rating":1,"session_id":"s","price":2.5,)"
                        R"("attributes":{"k":"v"}},{"user_id":"b","product":"q","rating":0},)"
                        R"({"user_id":"c","product":"r","rating":7}])"),
                   1'700'000'000'000'000, *writer_);
  EXPECT_NE(first.body.find("\"accepted\":2"), std::string::npos) << first.body;
  auto stored = NewEvents();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].session_id, "s");
  ASSERT_EQ(stored[0].attributes.size(), 1u);

  const Response second =
      HandleEvents(Post("application/x-ndjson", R"({"user_id":"d","product":"p","rating":0})"),
                   1'700'000'000'000'001, *writer_);
  EXPECT_EQ(second.body, "{\"accepted\":1,\"rejected\":[]}\n");
  stored = NewEvents();
  ASSERT_EQ(stored.size(), 1u);
  event::ClickEvent expected;
  expected.user_id = "d";
  expected.product = "p";
  expected.timestamp_us = 1'700'000'000'000'001;
  expected.event_id = stored[0].event_id;
  EXPECT_EQ(stored[0], expected);
  EXPECT_EQ(stored[0].event_id.size(), 32u);

  const Response third =
      HandleEvents(Post("text/csv", "u1,o1,de,c1,m1,1518318207,1\n"), 0, *writer_);
  EXPECT_EQ(third.body, "{\"accepted\":1,\"rejected\":[]}\n");
  stored = NewEvents();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].user_id, "u1");
  EXPECT_TRUE(stored[0].attributes.empty());
}

}  // namespace
}  // namespace promorec::http
