#include "promorec/pipeline/dedup_filter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "promorec/base/random.h"

namespace promorec::pipeline {
namespace {

constexpr std::int64_t kSecond = 1000 * 1000;
constexpr std::int64_t kHour = 3600 * kSecond;

// The rule of docs/formats/dedup.md written the slow, obvious way: a map of
// id -> time recorded, per shard.
class ReferenceModel {
 public:
  ReferenceModel(std::int64_t window_us, std::uint32_t buckets, std::uint32_t shards)
      : buckets_(buckets), bucket_us_((window_us + buckets - 1) / buckets), shards_(shards) {}

  bool Seen(std::uint32_t shard, const std::string& id, std::int64_t arrival_us) {
    State& s = shards_[shard];
    if (!s.has_time || arrival_us > s.now) s.now = arrival_us;
    s.has_time = true;
    auto it = s.recorded.find(id);
    if (it != s.recorded.end() && Bucket(s.now) - Bucket(it->second) <= buckets_) return true;
    s.recorded[id] = s.now;
    return false;
  }

  // Ids whose bucket is still in the window of the shard's clock.
  std::uint64_t Held(std::uint32_t shard) const {
    const State& s = shards_[shard];
    std::uint64_t n = 0;
    for (const auto& [id, t] : s.recorded) n += Bucket(s.now) - Bucket(t) <= buckets_ ? 1u : 0u;
    return n;
  }

 private:
  struct State {
    bool has_time = false;
    std::int64_t now = 0;
    std::map<std::string, std::int64_t> recorded;
  };
  std::int64_t Bucket(std::int64_t t) const {
    std::int64_t q = t / bucket_us_;
    if (t % bucket_us_ < 0) --q;
    return q;
  }

  std::int64_t buckets_;
  std::int64_t bucket_us_;
  std::vector<State> shards_;
};

std::unique_ptr<DedupFilter> MakeFilter(const DedupOptions& options) {
  auto filter = DedupFilter::Create(options);
  EXPECT_TRUE(filter.has_value()) << filter.error().ToString();
  return std::move(*filter);
}

struct StreamCase {
  std::int64_t window_us;
  std::uint32_t buckets;
  std::uint32_t shards;
  std::int64_t mean_step_us;  // mean gap between records of a shard
};

// Random streams with repeats from a small pool (so ids come back within,
// at and past the window), mostly forward time with some equal, some
// backwards and some far jumps: every answer and the counters equal the
// model's.
TEST(DedupFilterTest, AnswersEqualTheReferenceModel) {
  const std::vector<StreamCase> cases = {
      {kHour, 16, 1, 200 * 1000},          // the default: ~18000 records over an hour
      {kHour, 16, 3, 500 * 1000},          // several shards
      {1000, 4, 2, 30},                    // tiny window, many expiries
      {7, 3, 1, 1},                        // window not a multiple of the buckets
      {1, 1, 1, 1},                        // one bucket of 1 µs
      {10 * kSecond, 1000, 2, 20 * 1000},  // many buckets
  };
  std::uint64_t seed = 10;
  for (const StreamCase& c : cases) {
    SCOPED_TRACE("window " + std::to_string(c.window_us) + " buckets " + std::to_string(c.buckets) +
                 " shards " + std::to_string(c.shards));
    base::Rng rng(seed++);
    auto filter = MakeFilter({.window_us = c.window_us,
                              .bucket_count = c.buckets,
                              .max_bytes = std::uint64_t{64} << 20,
                              .shard_count = c.shards});
    ReferenceModel model(c.window_us, c.buckets, c.shards);
    std::vector<std::int64_t> clock(c.shards, 1'518'318'207'844'800);
    std::uint64_t duplicates = 0;
    for (int i = 0; i < 40000; ++i) {
      const auto shard = static_cast<std::uint32_t>(rng.Below(c.shards));
      const double r = rng.Uniform();
      std::int64_t& t = clock[shard];
      if (r < 0.01) {
        t -= static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(c.window_us) + 1));
      } else if (r < 0.015) {
        t += c.window_us * static_cast<std::int64_t>(1 + rng.Below(3));
      } else if (r > 0.2) {
        t += static_cast<std::int64_t>(rng.Exponential(static_cast<double>(c.mean_step_us)));
      }
      const std::string id = "ev-" + std::to_string(rng.Below(3000));
      const bool want = model.Seen(shard, id, t);
      ASSERT_EQ(filter->Seen(shard, id, t), want) << "record " << i << " id " << id;
      duplicates += want ? 1 : 0;
    }
    const DedupStats stats = filter->Stats();
    EXPECT_GT(duplicates, 40u);
    EXPECT_EQ(stats.duplicates, duplicates);
    EXPECT_EQ(stats.evicted_early, 0u);
    EXPECT_EQ(stats.recorded, stats.ids_held + stats.expired);
    EXPECT_GT(stats.expired, 0u);
    for (std::uint32_t s = 0; s < c.shards; ++s) {
      EXPECT_EQ(filter->ShardStats(s).ids_held, model.Held(s)) << "shard " << s;
    }
  }
}

// Exactly at the window is still a duplicate; at (N + 1) buckets past the
// start of the recording bucket it is new; in between, it depends on where
// in its bucket the id was recorded.
TEST(DedupFilterTest, WindowBoundary) {
  auto filter = MakeFilter({.window_us = kHour, .bucket_count = 16, .shard_count = 1});
  const std::int64_t b = filter->bucket_us();
  ASSERT_EQ(b, kHour / 16);
  const std::int64_t t0 = 1000 * b + b / 2;  // mid-bucket
  EXPECT_FALSE(filter->Seen(0, "a", t0));
  EXPECT_TRUE(filter->Seen(0, "a", t0 + kHour - 1));
  EXPECT_TRUE(filter->Seen(0, "a", t0 + kHour));  // exactly the window
  // Still within the 16 buckets after the recording one.
  EXPECT_TRUE(filter->Seen(0, "a", 1017 * b - 1));
  EXPECT_FALSE(filter->Seen(0, "a", 1017 * b));  // 17 buckets on: new, recorded again
  EXPECT_TRUE(filter->Seen(0, "a", 1017 * b + kHour));
  EXPECT_FALSE(filter->Seen(0, "a", 1017 * b + 17 * b));
  // An id recorded at the very start of a bucket is remembered exactly
  // (N + 1) buckets minus 1 µs.
  const std::int64_t t1 = 2000 * b;
  EXPECT_FALSE(filter->Seen(0, "b", t1));
  EXPECT_TRUE(filter->Seen(0, "b", t1 + 17 * b - 1));
  EXPECT_FALSE(filter->Seen(0, "b", t1 + 17 * b));
}

TEST(DedupFilterTest, ClockNeverGoesBack) {
  auto filter = MakeFilter({.window_us = 100, .bucket_count = 1, .shard_count = 1});
  EXPECT_FALSE(filter->Seen(0, "a", 1000));
  EXPECT_FALSE(filter->Seen(0, "b", 1250));
  // "a" comes with an old time: it counts as arriving at 1250, past the
  // window of its recording, so it is new, and recorded at 1250.
  EXPECT_FALSE(filter->Seen(0, "a", 10));
  EXPECT_TRUE(filter->Seen(0, "a", 1299));
}

TEST(DedupFilterTest, ShardsAreIndependent) {
  auto filter = MakeFilter({.window_us = kHour, .shard_count = 3});
  EXPECT_FALSE(filter->Seen(0, "x", 5));
  EXPECT_FALSE(filter->Seen(1, "x", 5));
  EXPECT_TRUE(filter->Seen(0, "x", 6));
  EXPECT_TRUE(filter->Seen(1, "x", 6));
  EXPECT_FALSE(filter->Seen(2, "x", 7));
  EXPECT_EQ(filter->ShardStats(0).recorded, 1u);
  EXPECT_EQ(filter->ShardStats(2).duplicates, 0u);
}

// A shard's answers do not depend on how other shards' records are
// interleaved with it, nor on their clocks.
TEST(DedupFilterTest, AnswersDependOnlyOnTheShardsOwnRecords) {
  base::Rng rng(5);
  struct Rec {
    std::uint32_t shard;
    std::string id;
    std::int64_t t;
  };
  std::vector<Rec> shard0;
  std::vector<Rec> others;
  std::int64_t t = 0;
  for (int i = 0; i < 20000; ++i) {
    t += static_cast<std::int64_t>(rng.Below(400'000));
    shard0.push_back({0, "e" + std::to_string(rng.Below(5000)), t});
    others.push_back({1 + static_cast<std::uint32_t>(rng.Below(2)),
                      "e" + std::to_string(rng.Below(5000)), t * 3});
  }
  const DedupOptions options{.window_us = kHour, .max_bytes = 1 << 20, .shard_count = 3};
  auto alone = MakeFilter(options);
  auto mixed = MakeFilter(options);
  std::size_t j = 0;
  for (const Rec& r : shard0) {
    while (j < others.size() && rng.Below(2) == 0) {
      mixed->Seen(others[j].shard, others[j].id, others[j].t);
      ++j;
    }
    ASSERT_EQ(alone->Seen(0, r.id, r.t), mixed->Seen(0, r.id, r.t));
  }
  EXPECT_EQ(alone->ShardStats(0), mixed->ShardStats(0));
}

// Under a small bound the oldest ids go first: the shard never holds more
// than its share, counts what it dropped, still knows the newest ids, and
// never calls a new id a duplicate.
TEST(DedupFilterTest, EarlyEvictionIsBoundedAndCounted) {
  const std::uint64_t max_bytes = 2 * 256 * 1024;
  auto filter = MakeFilter({.window_us = kHour, .max_bytes = max_bytes, .shard_count = 2});
  ASSERT_EQ(filter->shard_budget(), 256u * 1024);
  ReferenceModel model(kHour, 16, 2);
  base::Rng rng(6);
  std::uint64_t missed = 0;
  std::int64_t t = 0;
  std::vector<std::string> sent;
  for (int i = 0; i < 200000; ++i) {
    t += 1000;  // all within one window: only the bound drops ids
    const auto shard = static_cast<std::uint32_t>(i % 2);
    // Mostly new ids; some re-sends of recent ones.
    const std::string id = rng.Below(10) == 0 && i >= 1000
                               ? sent[static_cast<std::size_t>(i) - 2 * (1 + rng.Below(500))]
                               : "id-" + std::to_string(i);
    sent.push_back(id);
    const bool want = model.Seen(shard, id, t);
    const bool got = filter->Seen(shard, id, t);
    ASSERT_FALSE(got && !want) << "a new id taken for a duplicate at " << i;
    missed += (want && !got) ? 1 : 0;
    const DedupStats s = filter->ShardStats(shard);
    ASSERT_LE(s.bytes_held, filter->shard_budget()) << "record " << i;
    ASSERT_EQ(s.recorded, s.ids_held + s.evicted_early + s.expired);
  }
  const DedupStats stats = filter->Stats();
  EXPECT_GT(stats.evicted_early, 100000u);
  EXPECT_EQ(stats.expired, 0u);
  // Re-sends of the last 500 records of each shard are all still caught.
  EXPECT_EQ(missed, 0u);
  for (int i = 200000 - 1000; i < 200000; ++i) {
    EXPECT_TRUE(
        filter->Seen(static_cast<std::uint32_t>(i % 2), sent[static_cast<std::size_t>(i)], t));
  }
  // Ids dropped early come back as new.
  EXPECT_FALSE(filter->Seen(0, "id-0", t));
  // The bound is used: when the open table cannot double, it is sealed
  // and the sealed ones dropped, so each shard keeps at least an open table
  // of 8192 home slots at 70 % load.
  EXPECT_GE(stats.ids_held, 2u * 5734);
}

TEST(DedupFilterTest, BytesPerIdOnceSealed) {
  // 16 buckets of 20000 ids each, then a fresh bucket: sealed segments are
  // at 90 % load, about 9 bytes per id.
  auto filter = MakeFilter({.window_us = 16 * kSecond, .shard_count = 1});
  std::uint64_t n = 0;
  for (std::int64_t bucket = 0; bucket < 16; ++bucket) {
    for (int i = 0; i < 20000; ++i) {
      EXPECT_FALSE(filter->Seen(0, "id-" + std::to_string(n++), bucket * kSecond));
    }
  }
  EXPECT_FALSE(filter->Seen(0, "last", 16 * kSecond));
  const DedupStats stats = filter->Stats();
  EXPECT_EQ(stats.segments, 16u);
  EXPECT_EQ(stats.ids_held, n + 1);
  const double bytes_per_id =
      static_cast<double>(stats.bytes_held) / static_cast<double>(stats.ids_held);
  EXPECT_LT(bytes_per_id, 9.5);
  EXPECT_GT(bytes_per_id, 8.8);
}

TEST(DedupFilterTest, CreateRejectsBadOptions) {
  EXPECT_FALSE(DedupFilter::Create({.window_us = 0}).has_value());
  EXPECT_FALSE(DedupFilter::Create({.bucket_count = 0}).has_value());
  EXPECT_FALSE(DedupFilter::Create({.bucket_count = 1025}).has_value());
  EXPECT_FALSE(DedupFilter::Create({.shard_count = 0}).has_value());
  const auto tiny = DedupFilter::Create({.max_bytes = 100 * 1024, .shard_count = 2});
  ASSERT_FALSE(tiny.has_value());
  EXPECT_EQ(tiny.error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(tiny.error().message(),
            "dedup max_bytes 102400 leaves under 65536 bytes for each of 2 shards");
}

TEST(DedupFilterTest, FingerprintIsFixed) {
  // Part of the checkpoint format: a change here orphans every saved filter.
  EXPECT_EQ(DedupFingerprint("3f2a9c51b7e04d86a1c2e3f405b6c7d8"), 0x1df8fffa768f013fu);
  EXPECT_EQ(DedupFingerprint(""), 0x507930cee583212bu);
  EXPECT_NE(DedupFingerprint("a"), DedupFingerprint("b"));
  EXPECT_NE(DedupFingerprint(""), 0u);
}

}  // namespace
}  // namespace promorec::pipeline
