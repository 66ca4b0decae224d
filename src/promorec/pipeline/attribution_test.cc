#include "promorec/pipeline/attribution.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace promorec::pipeline {
namespace {

constexpr std::int64_t kMinute = 60'000'000LL;
constexpr std::int64_t kT0 = 1'765'000'000'000'000LL;

DecisionRecord Shown(const std::string& id, const std::string& user, const std::string& promotion,
                     std::int64_t time_us) {
  DecisionRecord d;
  d.decision_id = id;
  d.user_id = user;
  d.promotion_id = promotion;
  d.promotion_code = "CODE-" + promotion;
  d.time_us = time_us;
  d.probability = 0.25;
  return d;
}

event::ClickEvent Buy(const std::string& id, const std::string& user, const std::string& code,
                      std::int64_t time_us) {
  event::ClickEvent e;
  e.event_id = id;
  e.user_id = user;
  e.type = event::EventType::kBuy;
  e.promotion_code = code;
  e.timestamp_us = time_us;
  return e;
}

// Shows decisions d0..d<n-1> of promotions p0.., to shoppers u0..u<users-1>
// in turn, `spacing` apart from kT0.
void ShowMany(Attribution& a, int n, int users, std::int64_t spacing, std::vector<Example>* out) {
  for (int i = 0; i < n; ++i) {
    a.Shown(Shown("d" + std::to_string(i), "u" + std::to_string(i % users), "p" + std::to_string(i),
                  kT0 + i * spacing),
            out);
  }
}

AttributionOptions Options() {
  AttributionOptions o;
  o.window_us = 60 * kMinute;
  o.lateness_us = 10 * kMinute;
  return o;
}

// Labels as they come out: "id:label" and ":c" for a correction.
std::vector<std::string> Labels(const std::vector<Example>& examples) {
  std::vector<std::string> out;
  for (const Example& e : examples) {
    out.push_back(e.example_id + ":" + std::to_string(e.label) + (e.correction ? ":c" : ""));
  }
  return out;
}

TEST(AttributionTest, ExplicitRewardsLabelTheDecisionTheyName) {
  Attribution a(Options());
  std::vector<Example> out;
  a.Shown(Shown("d1", "ann", "p1", kT0), &out);
  a.Shown(Shown("d2", "bob", "p2", kT0 + kMinute), &out);
  a.Shown(Shown("d3", "cyd", "p3", kT0 + 2 * kMinute), &out);
  a.Shown(Shown("d4", "dan", "p4", kT0 + 3 * kMinute), &out);
  // A reward > 0 is a success at once, whatever the shopper bought.
  EXPECT_TRUE(a.Reward("d2", 0.5, kT0 + 4 * kMinute, &out));
  // 0 is a failure at once: no waiting for the window to close.
  EXPECT_TRUE(a.Reward("d3", 0.0, kT0 + 4 * kMinute, &out));
  EXPECT_EQ(Labels(out), (std::vector<std::string>{"d2:1", "d3:0"}));
  EXPECT_EQ(out[0].outcome_event_id, kRewardOutcome);
  EXPECT_EQ(out[0].outcome_time_us, kT0 + 4 * kMinute);
  EXPECT_EQ(out[0].probability, 0.25);
  EXPECT_EQ(out[0].time_us, kT0 + kMinute);  // the decision's context, not the reward's
  out.clear();
  // Each decision takes one label: a second reward, or one for an id
  // never shown, finds nothing.
  EXPECT_FALSE(a.Reward("d2", 1.0, kT0 + 5 * kMinute, &out));
  EXPECT_FALSE(a.Reward("d3", 1.0, kT0 + 5 * kMinute, &out));
  EXPECT_FALSE(a.Reward("nope", 1.0, kT0 + 5 * kMinute, &out));
  // Nor does a later buy with d2's code.
  a.Observe(Buy("b1", "bob", "CODE-p2", kT0 + 6 * kMinute), &out);
  EXPECT_TRUE(out.empty());
  // d1 and d4 close as failures; a reward after that corrects d1 (and a
  // 0 for d4 changes nothing: it is a failure already).
  a.Advance(kT0 + 80 * kMinute, &out);
  EXPECT_EQ(Labels(out), (std::vector<std::string>{"d1:0", "d4:0"}));
  out.clear();
  EXPECT_TRUE(a.Reward("d1", 1.0, kT0 + 81 * kMinute, &out));
  EXPECT_TRUE(a.Reward("d4", 0.0, kT0 + 81 * kMinute, &out));
  EXPECT_EQ(Labels(out), std::vector<std::string>{"d1:1:c"});
  const AttributionCounters c = a.counters();
  EXPECT_EQ(c.rewarded, 4u);
  EXPECT_EQ(c.positives, 1u);
  EXPECT_EQ(c.negatives, 3u);
  EXPECT_EQ(c.corrections, 1u);
  EXPECT_EQ(c.pending, 0u);
}

TEST(AttributionTest, PositivesNegativesAndCorrectionsInOrder) {
  Attribution a(Options());
  std::vector<Example> out;
  a.Shown(Shown("d1", "ann", "p1", kT0), &out);
  a.Shown(Shown("d2", "bob", "p2", kT0 + kMinute), &out);
  a.Shown(Shown("d3", "ann", "p3", kT0 + 2 * kMinute), &out);
  a.Shown(Shown("d1", "ann", "p1", kT0), &out);  // logged again: no second entry
  EXPECT_EQ(a.counters().pending, 3u);
  // Ann redeems d3's code: d3 is a success; d1 waits on.
  a.Observe(Buy("b1", "ann", "CODE-p3", kT0 + 5 * kMinute), &out);
  EXPECT_EQ(Labels(out), std::vector<std::string>{"d3:1"});
  EXPECT_EQ(out[0].outcome_event_id, "b1");
  out.clear();
  // Past window + lateness: d1 and d2 close as failures, oldest first.
  a.Advance(kT0 + 72 * kMinute, &out);
  EXPECT_EQ(Labels(out), (std::vector<std::string>{"d1:0", "d2:0"}));
  out.clear();
  // A late buy inside d2's window corrects its label.
  a.Observe(Buy("b2", "bob", "CODE-p2", kT0 + 50 * kMinute), &out);
  EXPECT_EQ(Labels(out), std::vector<std::string>{"d2:1:c"});
  out.clear();
  // One more window later the closed ones are forgotten.
  a.Advance(kT0 + 200 * kMinute, &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(a.counters().pending, 0u);
  const AttributionCounters c = a.counters();
  EXPECT_EQ(c.positives, 1u);
  EXPECT_EQ(c.negatives, 2u);
  EXPECT_EQ(c.corrections, 1u);
}

TEST(AttributionTest, PastTheBoundTheOldestCloseEarly) {
  AttributionOptions options = Options();
  options.max_pending = 3;
  Attribution a(options);
  std::vector<Example> out;
  for (int i = 0; i < 5; ++i) {
    a.Shown(Shown("d" + std::to_string(i), "u" + std::to_string(i), "p", kT0 + i), &out);
  }
  EXPECT_EQ(Labels(out), (std::vector<std::string>{"d0:0", "d1:0"}));
  EXPECT_EQ(a.counters().closed_early, 2u);
  EXPECT_EQ(a.counters().pending, 3u);
  // A success in the middle leaves a hole; the bound still counts the open.
  out.clear();
  a.Observe(Buy("b", "u3", "CODE-p", kT0 + 10), &out);
  EXPECT_EQ(Labels(out), std::vector<std::string>{"d3:1"});
  out.clear();
  a.Shown(Shown("d5", "u5", "p", kT0 + 20), &out);
  EXPECT_TRUE(out.empty()) << "three open: d2, d4, d5";
  a.Shown(Shown("d6", "u6", "p", kT0 + 21), &out);
  EXPECT_EQ(Labels(out), std::vector<std::string>{"d2:0"});
}

TEST(AttributionTest, PastTheMemoryBoundClosedOnesGoFirstThenTheOldestOpen) {
  // Measure one decision's footprint, then allow about ten.
  std::vector<Example> out;
  std::size_t each = 0;
  {
    Attribution one(Options());
    one.Shown(Shown("d-measure-0000000000000000000000", "u", "p", kT0), &out);
    each = one.counters().bytes;
  }
  ASSERT_GT(each, 100u);
  AttributionOptions options = Options();
  options.max_bytes = each * 10 + each / 2;
  Attribution a(options);
  const auto id = [](int i) { return "d-" + std::to_string(i) + "-000000000000000000000000000"; };
  for (int i = 0; i < 6; ++i) {
    a.Shown(Shown(id(i), "u" + std::to_string(i), "p", kT0 + i * kMinute), &out);
  }
  a.Advance(kT0 + 80 * kMinute, &out);  // d0..d5 close (kept for corrections)
  EXPECT_EQ(out.size(), 6u);
  out.clear();
  for (int i = 6; i < 14; ++i) {
    a.Shown(Shown(id(i), "u" + std::to_string(i), "p", kT0 + 80 * kMinute + i), &out);
  }
  EXPECT_TRUE(out.empty()) << "closed ones were dropped to make room, no open one closed";
  EXPECT_LE(a.counters().bytes, options.max_bytes);
  EXPECT_EQ(a.counters().closed_early, 0u);
  EXPECT_GE(a.counters().pending, 8u);
  // Once no closed one is left, the oldest open ones close early.
  for (int i = 14; i < 20; ++i) {
    a.Shown(Shown(id(i), "u" + std::to_string(i), "p", kT0 + 80 * kMinute + i), &out);
  }
  EXPECT_GT(a.counters().closed_early, 0u);
  EXPECT_LE(a.counters().bytes, options.max_bytes);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().example_id, id(6)) << "the oldest open one first";
  // Everything forgotten: only the slots' bookkeeping is left.
  a.Advance(kT0 + 1000 * kMinute, &out);
  EXPECT_EQ(a.counters().pending, 0u);
  EXPECT_EQ(a.counters().bytes, 0u);
}

TEST(AttributionTest, EncodeDecodeKeepsWhatIsOpenClosedAndItsOrder) {
  Attribution a(Options());
  std::vector<Example> out;
  ShowMany(a, 6, 2, 20 * kMinute, &out);
  a.Advance(kT0 + 95 * kMinute, &out);  // d0 and d1 close
  ASSERT_EQ(Labels(out), (std::vector<std::string>{"d0:0", "d1:0"}));
  std::string state;
  a.Encode(&state);
  Attribution b(Options());
  ASSERT_TRUE(b.Decode(state));
  EXPECT_EQ(b.counters().pending, a.counters().pending);
  // Both behave the same from here on.
  for (Attribution* x : {&a, &b}) {
    std::vector<Example> later;
    x->Observe(Buy("b0", "u0", "CODE-p0", kT0 + 30 * kMinute), &later);  // corrects d0
    x->Advance(kT0 + 300 * kMinute, &later);
    EXPECT_EQ(Labels(later), (std::vector<std::string>{"d0:1:c", "d2:0", "d3:0", "d4:0", "d5:0"}));
  }
  std::string again;
  b.Encode(&again);
  Attribution c(Options());
  ASSERT_TRUE(c.Decode(again));
  EXPECT_EQ(c.counters().pending, 0u);
  EXPECT_FALSE(c.Decode(state.substr(0, state.size() - 3)));
  EXPECT_FALSE(c.Decode(state + "x"));
}

// A snapshot encoded a part at a time while decisions are shown,
// labelled, closed, corrected and forgotten is the attribution at its mark,
// byte for byte.
TEST(AttributionTest, ASnapshotEncodedInPartsIsOfItsMoment) {
  Attribution a(Options());
  std::vector<Example> out;
  ShowMany(a, 40, 7, 5 * kMinute, &out);
  a.Advance(kT0 + 100 * kMinute, &out);                   // the first few close
  (void)a.Reward("d20", 1.0, kT0 + 101 * kMinute, &out);  // a hole in the open ones
  Attribution at_mark = a;
  std::string want;
  at_mark.Encode(&want);

  a.BeginSnapshot();
  std::string got;
  int step = 0;
  while (!a.EncodeSome(&got, 3)) {
    // Between parts, everything that changes entries, before and after
    // the encoding's position.
    ++step;
    const std::string id = "d" + std::to_string((step * 11) % 40);
    (void)a.Reward(id, step % 2 == 0 ? 1.0 : 0.0, kT0 + 200 * kMinute, &out);
    a.Observe(Buy("b" + std::to_string(step), "u" + std::to_string(step % 7),
                  "CODE-p" + std::to_string((step * 7) % 40), kT0 + (100 + step) * kMinute),
              &out);
    a.Shown(Shown("n" + std::to_string(step), "u1", "p1", kT0 + (150 + step) * kMinute), &out);
    a.Advance(kT0 + (100 + 10 * step) * kMinute, &out);  // closes and forgets from the front
  }
  EXPECT_GT(step, 5);
  EXPECT_EQ(got, want);
  // The next snapshot is of the attribution as it is now.
  std::string now;
  a.Encode(&now);
  Attribution b(Options());
  ASSERT_TRUE(b.Decode(now));
  EXPECT_EQ(b.counters().pending, a.counters().pending);
  EXPECT_NE(now, want);
}

}  // namespace
}  // namespace promorec::pipeline
