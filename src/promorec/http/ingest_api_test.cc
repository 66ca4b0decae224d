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

}  // namespace
}  // namespace promorec::http
