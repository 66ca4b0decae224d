#include "promorec/ingest/events_body.h"

#include <gtest/gtest.h>

namespace promorec::ingest {
namespace {

TEST(EventsBodyTest, DecodedEventsKeepsOrderAndRejections) {
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
}  // namespace promorec::ingest
