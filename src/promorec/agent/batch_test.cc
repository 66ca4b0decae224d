#include "promorec/agent/batch.h"

#include <gtest/gtest.h>

namespace promorec::agent {
namespace {

using std::chrono::milliseconds;
constexpr std::int64_t kMs = 1'000'000;

TEST(BatchTest, FullAtTheRecordCount) {
  Batch batch({3, 1000, milliseconds(1000)});
  EXPECT_TRUE(batch.Add("a", 0));
  EXPECT_TRUE(batch.Add("bb", 0));
  EXPECT_FALSE(batch.Full());
  EXPECT_TRUE(batch.Add("c", 0));
  EXPECT_TRUE(batch.Full());
  EXPECT_FALSE(batch.Add("d", 0));
  EXPECT_TRUE(batch.Due(0));
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.line(0), "a");
  EXPECT_EQ(batch.line(1), "bb");
  EXPECT_EQ(batch.line(2), "c");
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_FALSE(batch.Full());
}

TEST(BatchTest, FullAtTheByteSizeAndAnOversizedLineGoesAlone) {
  Batch batch({100, 10, milliseconds(1000)});
  EXPECT_TRUE(batch.Add("12345", 0));
  EXPECT_TRUE(batch.Add("1234", 0));
  EXPECT_FALSE(batch.Full());
  EXPECT_FALSE(batch.Add("12", 0));  // would be 11 bytes
  EXPECT_TRUE(batch.Full());
  EXPECT_EQ(batch.bytes(), 9u);
  batch.Clear();
  EXPECT_TRUE(batch.Add(std::string(50, 'x'), 0));
  EXPECT_TRUE(batch.Full());
  EXPECT_FALSE(batch.Add("y", 0));
}

TEST(BatchTest, DueByAgeFromTheFirstLine) {
  Batch batch({100, 1000, milliseconds(500)});
  EXPECT_FALSE(batch.Due(10'000 * kMs));
  EXPECT_EQ(batch.NanosUntilDue(0), -1);
  batch.set_now(1000 * kMs);
  EXPECT_TRUE(batch.Offer("a"));
  batch.set_now(1400 * kMs);
  EXPECT_TRUE(batch.Offer("b"));
  EXPECT_FALSE(batch.Due(1400 * kMs));
  EXPECT_EQ(batch.NanosUntilDue(1400 * kMs), 100 * kMs);
  EXPECT_TRUE(batch.Due(1500 * kMs));
  EXPECT_EQ(batch.NanosUntilDue(1600 * kMs), 0);
}

}  // namespace
}  // namespace promorec::agent
