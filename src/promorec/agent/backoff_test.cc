#include "promorec/agent/backoff.h"

#include <gtest/gtest.h>

namespace promorec::agent {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(BackoffTest, DoublesUpToTheCapWithEqualJitter) {
  Backoff backoff({milliseconds(100), milliseconds(1000)}, 7);
  const std::int64_t ceilings[] = {100'000, 200'000, 400'000, 800'000, 1'000'000, 1'000'000};
  for (const std::int64_t ceiling : ceilings) {
    EXPECT_EQ(backoff.Ceiling().count(), ceiling);
    const std::int64_t delay = backoff.Next().count();
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
  }
  EXPECT_EQ(backoff.failures(), 6);
  backoff.Reset();
  EXPECT_EQ(backoff.Ceiling(), microseconds(100'000));
}

TEST(BackoffTest, SameSeedSameDelaysAndTheDelaysVary) {
  Backoff a({milliseconds(1000), milliseconds(1000)}, 42);
  Backoff b({milliseconds(1000), milliseconds(1000)}, 42);
  std::int64_t low = 1'000'000, high = 0;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t delay = a.Next().count();
    EXPECT_EQ(delay, b.Next().count());
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  EXPECT_LT(low, 600'000);
  EXPECT_GT(high, 900'000);
}

TEST(BackoffTest, ManyFailuresStayAtTheCap) {
  Backoff backoff({milliseconds(1), milliseconds(30'000)}, 1);
  for (int i = 0; i < 100; ++i) EXPECT_LE(backoff.Next().count(), 30'000'000);
  EXPECT_EQ(backoff.Ceiling(), microseconds(30'000'000));
}

}  // namespace
}  // namespace promorec::agent
