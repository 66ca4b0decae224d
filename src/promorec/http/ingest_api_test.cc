#include "promorec/http/ingest_api.h"

#include <gtest/gtest.h>

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

TEST(IngestApiTest, GoodEventsAreAppendedAndBadOnesListed) {
  std::vector<event::ClickEvent> stored;
  const AppendEvents append = [&](std::span<const event::ClickEvent> events) -> base::Status {
    stored.insert(stored.end(), events.begin(), events.end());
    return {};
  };
  const Response r =
      HandleEvents(Post("text/csv",
                        "userid,offerid,countrycode,category,merchant,utcdate,rating\n"
                        "u1,o1,de,c1,m1,1518318207.8448,1\n"
                        "u2,o2,de,c1,m1,1518318207.8448,yes\n"
                        "u3,o3,fr,c2,m2,1518318208,0\n"),
                   1'600'000'000'000'000, append);
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].user_id, "u3");
  EXPECT_NE(r.body.find("\"accepted\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":1,\"line\":3,\"reason\":\"bad_rating\",\"field\":\"rating\""),
            std::string::npos)
      << r.body;
}

TEST(IngestApiTest, NdjsonGetsTheArrivalTimeWhenItHasNone) {
  std::vector<event::ClickEvent> stored;
  const AppendEvents append = [&](std::span<const event::ClickEvent> events) -> base::Status {
    stored.insert(stored.end(), events.begin(), events.end());
    return {};
  };
  const Response r =
      HandleEvents(Post("application/x-ndjson",
                        "{\"userid\":\"a\",\"offerid\":\"o\",\"countrycode\":\"de\",\"category\":"
                        "\"c\",\"merchant\":\"m\",\"rating\":1}\n{\"userid\":7}\n"),
                   1'700'000'000'000'000, append);
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].timestamp_us, 1'700'000'000'000'000);
  EXPECT_NE(r.body.find("\"index\":1"), std::string::npos) << r.body;
}

TEST(IngestApiTest, ErrorsSayWhy) {
  const AppendEvents ok = [](std::span<const event::ClickEvent>) -> base::Status { return {}; };
  EXPECT_EQ(HandleEvents(Post("application/xml", "<a/>"), 0, ok).status, 415);
  EXPECT_EQ(HandleEvents(Post("application/json", "  \n"), 0, ok).status, 400);
  const AppendEvents failing = [](std::span<const event::ClickEvent>) -> base::Status {
    return base::MakeError(base::Code::kIoError, "disk full");
  };
  const Response r = HandleEvents(Post("application/json",
                                       "{\"userid\":\"a\",\"offerid\":\"o\",\"countrycode\":\"de\","
                                       "\"category\":\"c\",\"merchant\":\"m\",\"rating\":1}"),
                                  0, failing);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("disk full"), std::string::npos) << r.body;
}

TEST(IngestApiTest, SuccessiveRequestsOnOneThreadShareNothing) {
  // Each thread reuses its decoder and event storage from request to
  // request: nothing of one request may show in the next.
  std::vector<event::ClickEvent> stored;
  const AppendEvents append = [&](std::span<const event::ClickEvent> events) -> base::Status {
    stored.assign(events.begin(), events.end());
    return {};
  };
  const Response first =
      HandleEvents(Post("application/json",
                        R"([{"user_id":"a","product":"p","rating":1,"session_id":"s","price":2.5,)"
                        R"("attributes":{"k":"v"}},{"user_id":"b","product":"q","rating":0},)"
                        R"({"user_id":"c","product":"r","rating":7}])"),
                   1'700'000'000'000'000, append);
  EXPECT_NE(first.body.find("\"accepted\":2"), std::string::npos) << first.body;
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].session_id, "s");
  ASSERT_EQ(stored[0].attributes.size(), 1u);

  const Response second =
      HandleEvents(Post("application/x-ndjson", R"({"user_id":"d","product":"p","rating":0})"),
                   1'700'000'000'000'001, append);
  EXPECT_EQ(second.body, "{\"accepted\":1,\"rejected\":[]}\n");
  ASSERT_EQ(stored.size(), 1u);
  event::ClickEvent expected;
  expected.user_id = "d";
  expected.product = "p";
  expected.timestamp_us = 1'700'000'000'000'001;
  expected.event_id = stored[0].event_id;
  EXPECT_EQ(stored[0], expected);
  EXPECT_EQ(stored[0].event_id.size(), 32u);

  const Response third = HandleEvents(Post("text/csv", "u1,o1,de,c1,m1,1518318207,1\n"), 0, append);
  EXPECT_EQ(third.body, "{\"accepted\":1,\"rejected\":[]}\n");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].user_id, "u1");
  EXPECT_TRUE(stored[0].attributes.empty());
}

TEST(IngestApiTest, DecodedEventsKeepsOrderAndRejections) {
  DecodedEvents decoded;
  ASSERT_TRUE(DecodeEventsBody("application/x-ndjson",
                               "{\"user_id\":\"a\",\"product\":\"p\",\"rating\":1}\n"
                               "{\"user_id\":\"b\"}\n"
                               "{\"user_id\":\"c\",\"product\":\"p\",\"rating\":0}\n",
                               5, &decoded));
  ASSERT_EQ(decoded.events().size(), 2u);
  EXPECT_EQ(decoded.events()[0].user_id, "a");
  EXPECT_EQ(decoded.events()[1].user_id, "c");
  ASSERT_EQ(decoded.rejected().size(), 1u);
  EXPECT_EQ(decoded.rejected()[0].first, 1u);
  EXPECT_EQ(decoded.rejected()[0].second.line, 2u);
  ASSERT_TRUE(DecodeEventsBody("text/csv", "x\n", 5, &decoded));
  EXPECT_TRUE(decoded.events().empty());
  ASSERT_EQ(decoded.rejected().size(), 1u);
  EXPECT_FALSE(DecodeEventsBody("application/xml", "<a/>", 5, &decoded));
}

}  // namespace
}  // namespace promorec::http
