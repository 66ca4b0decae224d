#include "promorec/pipeline/decision_stage.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/ingest/event_writer.h"
#include "promorec/metrics/registry.h"
#include "promorec/pipeline/profile_fold.h"
#include "promorec/pipeline/reward_record.h"

namespace promorec::pipeline {
namespace {

constexpr std::int64_t kHour = 3'600'000'000LL;
constexpr std::int64_t kT0 = 1'765'000'000'000'000LL;

event::ClickEvent Event(std::string id, std::string user, event::EventType type,
                        std::int64_t timestamp_us, std::string product = "p") {
  event::ClickEvent e;
  e.event_id = std::move(id);
  e.user_id = std::move(user);
  e.product = std::move(product);
  e.type = type;
  e.rating = event::RatingOfType(type);
  e.timestamp_us = timestamp_us;
  return e;
}

std::vector<event::Promotion> Promotions(int n) {
  std::vector<event::Promotion> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    out[static_cast<std::size_t>(i)].id = "promo" + std::to_string(i);
    out[static_cast<std::size_t>(i)].text = "Deal " + std::to_string(i);
    out[static_cast<std::size_t>(i)].code = "CODE" + std::to_string(i);
  }
  return out;
}

// A pipeline as serve builds it: the clicks consumer with dedup, profiles
// and the decision stage, on an in-memory file system that outlives it
// (a "crash" drops the pipeline without saving).
class Pipeline {
 public:
  Pipeline(base::Env& env, base::Clock& clock, eventlog::StreamStore& store,
           std::shared_ptr<eventlog::Stream> clicks, std::vector<event::Promotion> promotions,
           DecisionStageOptions options = {}, std::int64_t snapshot_interval_us = 0) {
    // As serve opens them: synced on an interval (on the test's clock,
    // which does not move by itself: nothing is synced but by a snapshot).
    impressions_ = *ingest::OpenOrCreateStream(store, std::string(kImpressionsStream), 4,
                                               eventlog::Durability::kInterval);
    examples_ = *ingest::OpenOrCreateStream(store, std::string(kExamplesStream), 4,
                                            eventlog::Durability::kInterval);
    rewards_ = *ingest::OpenOrCreateStream(store, std::string(kRewardsStream), 1);
    ProfileFoldOptions fold_options;
    fold_options.snapshot_interval_us = snapshot_interval_us;
    fold_options.dedup = DedupOptions{};
    auto fold = ProfileFold::Open(
        env, clock, "/data", std::move(clicks), fold_options,
        [&](const profile::ProfileStore& profiles) -> base::Result<DecisionStage*> {
          decider_ = std::make_unique<decide::Decider>(models_, promotions, &profiles);
          PROMOREC_ASSIGN_OR_RETURN(
              stage_, DecisionStage::Create(impressions_, examples_, decider_.get(), nullptr,
                                            options, rewards_));
          return stage_.get();
        });
    EXPECT_TRUE(fold) << fold.error().ToString();
    fold_ = std::move(*fold);
  }

  ProfileFold& fold() { return *fold_; }
  DecisionStage& stage() { return *stage_; }

  // What POST /v1/decisions/{id}/reward does.
  void Reward(const std::string& decision_id, double reward, std::int64_t time_us) {
    std::string json;
    AppendRewardJson({decision_id, reward, time_us}, &json);
    const eventlog::PutRecord put{decision_id, json, std::nullopt};
    ASSERT_TRUE(rewards_->Append(std::span<const eventlog::PutRecord>(&put, 1)));
    stage_->NoteRewardAppended();
  }
  // Waits (up to 10 s) until the running pipeline has read `n` rewards.
  bool WaitForRewards(std::uint64_t n) {
    for (int i = 0; i < 1000; ++i) {
      const DecisionCounters c = stage_->counters();
      if (c.rewards_applied + c.rewards_unmatched >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Every example in the examples stream, by example id and correction.
  std::map<std::pair<std::string, bool>, Example> Examples() const {
    std::map<std::pair<std::string, bool>, Example> out;
    for (std::uint32_t shard = 0; shard < 4; ++shard) {
      auto batch = examples_->Read(shard, 0, {});
      EXPECT_TRUE(batch);
      for (const auto& r : batch->records) {
        auto example = ParseExampleJson(r.data);
        EXPECT_TRUE(example) << example.error().ToString();
        EXPECT_TRUE(
            out.emplace(std::pair(example->example_id, example->correction), *example).second)
            << "example logged twice: " << example->example_id;
      }
    }
    return out;
  }

  // Every decision in the ad log, by decision id (failing on a repeat).
  std::map<std::string, DecisionRecord> Logged() const {
    std::map<std::string, DecisionRecord> out;
    for (std::uint32_t shard = 0; shard < 4; ++shard) {
      auto batch = impressions_->Read(shard, 0, {});
      EXPECT_TRUE(batch);
      for (const auto& r : batch->records) {
        auto record = ParseDecisionJson(r.data);
        EXPECT_TRUE(record) << record.error().ToString();
        EXPECT_EQ(r.partition_key, record->user_id);
        EXPECT_TRUE(out.emplace(record->decision_id, *record).second)
            << "decision logged twice: " << record->decision_id;
      }
    }
    return out;
  }

 private:
  model::ServingModelHandle models_;  // none: the cold start
  std::shared_ptr<eventlog::Stream> impressions_;
  std::shared_ptr<eventlog::Stream> examples_;
  std::shared_ptr<eventlog::Stream> rewards_;
  std::unique_ptr<decide::Decider> decider_;
  std::unique_ptr<DecisionStage> stage_;
  std::unique_ptr<ProfileFold> fold_;
};

// One server's data: its file system, event log and ingest writer.
class Server {
 public:
  Server() : env_(base::NewMemEnv()) {
    store_ = std::move(*eventlog::LocalStreamStore::Open(*env_, clock_, "/data/streams"));
    clicks_ = *ingest::OpenOrCreateStream(*store_, "clicks", 4);
    writer_ = std::make_unique<ingest::EventWriter>(clicks_, registry_);
  }

  void Append(const std::vector<event::ClickEvent>& events) {
    ASSERT_TRUE(writer_->Append(events));
  }

  std::unique_ptr<Pipeline> Open(DecisionStageOptions options = {}, int promotions = 5) {
    return std::make_unique<Pipeline>(*env_, clock_, *store_, clicks_, Promotions(promotions),
                                      options);
  }

  std::unique_ptr<base::Env> env_;
  base::FakeClock clock_{kT0};
  std::unique_ptr<eventlog::LocalStreamStore> store_;
  std::shared_ptr<eventlog::Stream> clicks_;
  metrics::Registry registry_;
  std::unique_ptr<ingest::EventWriter> writer_;
};

class DecisionStageTest : public ::testing::Test, public Server {};

TEST_F(DecisionStageTest, OneDecisionPerQualifyingEventAndNoneForRepeats) {
  using event::EventType;
  Append({Event("e1", "ann", EventType::kView, kT0), Event("e2", "bob", EventType::kView, kT0),
          Event("e3", "ann", EventType::kBuy, kT0 + 1),
          Event("e1", "ann", EventType::kView, kT0)});  // a producer's retry
  auto p = Open();
  const auto logged = p->Logged();
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_TRUE(logged.contains(DecisionId("event", "e1")));
  EXPECT_TRUE(logged.contains(DecisionId("event", "e2")));
  EXPECT_EQ(p->fold().duplicates(), 1u);
  EXPECT_EQ(p->fold().store().Lookup("ann")->events, 2u) << "the repeat is not counted twice";

  const DecisionRecord& d = logged.at(DecisionId("event", "e1"));
  EXPECT_EQ(d.event_id, "e1");
  EXPECT_EQ(d.user_id, "ann");
  EXPECT_EQ(d.source, "event");
  EXPECT_EQ(d.policy, "uniform") << "no model: the cold start";
  EXPECT_DOUBLE_EQ(d.probability, 1.0 / 5);
  EXPECT_EQ(d.candidates.size(), 5u);
  EXPECT_EQ(d.subject, "You have a coupon!");
  EXPECT_EQ(d.message,
            "We noticed you were looking at our p today. We thought that a discount "
            "might make your decision easier - " +
                d.promotion_text + "! Enter code " + d.promotion_code + " on the checkout page.");
}

TEST_F(DecisionStageTest, TheSameEventIsDecidedTheSameWay) {
  std::vector<event::ClickEvent> events;
  for (int i = 0; i < 50; ++i) {
    events.push_back(
        Event("e" + std::to_string(i), "u" + std::to_string(i), event::EventType::kView, kT0 + i));
  }
  Append(events);
  const auto first = Open()->Logged();
  // Another server with its own data, fed the same events.
  Server other;
  other.Append(events);
  const auto second = other.Open()->Logged();
  ASSERT_EQ(first.size(), 50u);
  EXPECT_EQ(first, second);
  std::set<std::string> chosen;
  for (const auto& [id, d] : first) chosen.insert(d.promotion_id);
  EXPECT_GT(chosen.size(), 2u) << "the uniform choice varies between events";
}

TEST_F(DecisionStageTest, FrequencyCapsHold) {
  std::vector<event::ClickEvent> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(
        Event("v" + std::to_string(i), "ann", event::EventType::kView, kT0 + i * 60'000'000LL));
  }
  events.push_back(Event("later", "ann", event::EventType::kView, kT0 + 2 * kHour));
  Append(events);
  auto p = Open();
  const auto logged = p->Logged();
  // Three per hour; the one two hours later passes again.
  EXPECT_EQ(logged.size(), 4u);
  EXPECT_EQ(p->stage().counters().user_capped, 2u);
  std::set<std::string> promotions;
  for (const auto& [id, d] : logged) {
    EXPECT_TRUE(promotions.insert(d.promotion_id).second) << "a promotion shown twice in 24 h";
  }
  const DecisionRecord& later = logged.at(DecisionId("event", "later"));
  int capped = 0;
  for (const CandidateRecord& c : later.candidates) capped += c.removed_by == "frequency_cap";
  EXPECT_EQ(capped, 3) << "the three shown earlier are capped for a day";
  EXPECT_DOUBLE_EQ(later.probability, 1.0 / 2);
}

TEST_F(DecisionStageTest, ACrashAfterLoggingDoesNotLogTwice) {
  std::vector<event::ClickEvent> events;
  for (int i = 0; i < 40; ++i) {
    events.push_back(Event("e" + std::to_string(i), "u" + std::to_string(i % 7),
                           event::EventType::kView, kT0 + i * kHour));
  }
  Append(std::vector<event::ClickEvent>(events.begin(), events.begin() + 10));
  std::map<std::string, DecisionRecord> before;
  {
    auto p = Open();
    ASSERT_TRUE(p->fold().Save());
    p->fold().Start();
    Append(std::vector<event::ClickEvent>(events.begin() + 10, events.begin() + 25));
    ASSERT_TRUE(p->fold().WaitUntilApplied(writer_->LastAcknowledged(), 60'000'000));
    p->fold().Stop();
    before = p->Logged();
    ASSERT_EQ(before.size(), 25u);
    // Crash: no Save. The snapshot is 15 events behind the ad log.
  }
  Append(std::vector<event::ClickEvent>(events.begin() + 25, events.end()));
  Append({events[3], events[30]});  // re-sent after the restart
  auto p = Open();
  const auto after = p->Logged();
  EXPECT_EQ(after.size(), 40u);
  EXPECT_EQ(p->stage().counters().replayed, 15u);
  for (const auto& [id, d] : before) EXPECT_EQ(after.at(id), d);
  EXPECT_EQ(p->fold().duplicates(), 2u);
}

// A power cut loses the part of the ad log its interval sync had not
// reached (the clicks, synced before each acknowledgement, are all there):
// the restart decides those events again, the same way, and logs each once.
TEST(DecisionStagePowerCutTest, WhatTheAdLogLostIsDecidedAgainTheSameWay) {
  auto mem = base::NewMemEnv();
  base::FaultInjectionEnv env(*mem);
  base::FakeClock clock{kT0};
  metrics::Registry registry;
  std::vector<event::ClickEvent> events;
  for (int i = 0; i < 25; ++i) {
    events.push_back(Event("e" + std::to_string(i), "u" + std::to_string(i % 7),
                           event::EventType::kView, kT0 + i * kHour));
  }
  std::map<std::string, DecisionRecord> before;
  {
    auto store = std::move(*eventlog::LocalStreamStore::Open(env, clock, "/data/streams"));
    auto clicks = *ingest::OpenOrCreateStream(*store, "clicks", 4);
    ingest::EventWriter writer(clicks, registry);
    ASSERT_TRUE(writer.Append(std::vector<event::ClickEvent>(events.begin(), events.begin() + 10)));
    auto p = std::make_unique<Pipeline>(env, clock, *store, clicks, Promotions(5));
    ASSERT_TRUE(p->fold().Save()) << "syncs the ad log before naming its end";
    p->fold().Start();
    ASSERT_TRUE(writer.Append(std::vector<event::ClickEvent>(events.begin() + 10, events.end())));
    ASSERT_TRUE(p->fold().WaitUntilApplied(writer.LastAcknowledged(), 60'000'000));
    p->fold().Stop();
    before = p->Logged();
    ASSERT_EQ(before.size(), 25u);
    ASSERT_TRUE(env.DropUnsyncedData());  // the power cut; the process is gone
  }
  env.ClearFaults();
  auto store = std::move(*eventlog::LocalStreamStore::Open(env, clock, "/data/streams"));
  auto clicks = *store->OpenStream("clicks");
  {
    auto impressions = *store->OpenStream(std::string(kImpressionsStream));
    std::size_t survived = 0;
    for (std::uint32_t shard = 0; shard < 4; ++shard)
      survived += impressions->Read(shard, 0, {})->records.size();
    EXPECT_EQ(survived, 10u) << "what was written after the snapshot was not yet synced";
  }
  auto p = std::make_unique<Pipeline>(env, clock, *store, clicks, Promotions(5));
  EXPECT_EQ(p->Logged(), before) << "the same decisions, each once";
}

TEST_F(DecisionStageTest, QualifyingTypesAreConfigurable) {
  DecisionStageOptions options;
  options.qualifying = {event::EventType::kBuy};
  Append({Event("v", "ann", event::EventType::kView, kT0),
          Event("b", "ann", event::EventType::kBuy, kT0 + 1)});
  const auto logged = Open(options)->Logged();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged.begin()->second.event_id, "b");
}

TEST_F(DecisionStageTest, DecideNowLogsARequest) {
  auto p = Open();
  decide::Request request;
  request.user_id = "zoe";
  request.product = "hat";
  request.now_us = kT0;
  auto decided = p->stage().DecideNow(request, "slot-1");
  ASSERT_TRUE(decided) << decided.error().ToString();
  EXPECT_EQ(decided->decision_id, DecisionId("request", "slot-1"));
  EXPECT_EQ(decided->source, "request");
  // A retry gets the same answer, and the ad log holds the decision once.
  auto retried = p->stage().DecideNow(request, "slot-1");
  ASSERT_TRUE(retried) << retried.error().ToString();
  EXPECT_EQ(*retried, *decided);
  const auto logged = p->Logged();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged.begin()->second, *decided);
}

TEST(DecisionRecord, JsonRoundTripAndErrors) {
  DecisionRecord r;
  r.decision_id = DecisionId("event", "e\"1");
  r.event_id = "e\"1";
  r.source = "event";
  r.user_id = "ünïcode";
  r.time_us = kT0;
  r.product = "p";
  r.promotion_id = "A";
  r.promotion_code = "CODE";
  r.promotion_text = "10% off";
  r.probability = 0.9625;
  r.model_version = "abc";
  r.policy = "epsilon_greedy";
  r.epsilon = 0.05;
  r.temperature = 0.1;
  r.seed = ~0ull;
  r.catalogue = CatalogueId({"A", "B", "C", "D"});
  r.candidates = {{0.25f, ""}, {0.0f, "country"}, {1e-7f, ""}, {0.0f, "budget"}};
  r.subject = "You have a coupon!";
  r.message = "line\nbreak";
  std::string json;
  AppendDecisionJson(r, &json);
  auto back = ParseDecisionJson(json);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, r);
  // Readers that pass the candidates on keep their text as it was.
  auto skipped = ParseDecisionJson(json, CandidateParsing::kSkipCandidates);
  ASSERT_TRUE(skipped) << skipped.error().ToString();
  EXPECT_TRUE(skipped->candidates.empty());
  EXPECT_EQ(skipped->decision_id, r.decision_id);
  std::string again;
  AppendDecisionJson(*skipped, &again);
  EXPECT_EQ(again, json);
  EXPECT_EQ(DecisionId("event", "x"), DecisionId("event", "x"));
  EXPECT_NE(DecisionId("event", "x"), DecisionId("request", "x"));
  EXPECT_FALSE(ParseDecisionJson("{"));
  EXPECT_FALSE(ParseDecisionJson("[]"));
  EXPECT_EQ(ParseDecisionJson(R"({"v":2})").error().message(),
            "decision record: version 2; this build reads version 1");
  EXPECT_EQ(ParseDecisionJson(R"({"v":1})").error().message(),
            "decision record: \"decision_id\" is required");
}

TEST(DecisionRecord, ScoresHaveSixSignificantDigits) {
  DecisionRecord r;
  r.decision_id = "d";
  r.catalogue = "c";
  const std::vector<double> scores = {0.123456789, 0.5,        0.1,       0.0999999999, 0.00012345,
                                      0.9999996,   0.00009876, 1e-7,      0.0100000001, 2.5,
                                      0.0,         -0.25,      0.70710678};
  for (const double s : scores) r.candidates.push_back({static_cast<float>(s), ""});
  r.candidates.push_back({-0.0f, ""});  // written as 0, as it reads back
  std::string json;
  AppendDecisionJson(r, &json);
  const std::size_t at = json.find("\"scores\":[");
  ASSERT_NE(at, std::string::npos);
  const std::string text = json.substr(at + 10, json.find(']', at) - at - 10);
  std::string expected;
  for (const double s : scores) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(static_cast<float>(s)));
    if (!expected.empty()) expected += ',';
    expected += buf;
  }
  expected += ",0";
  EXPECT_EQ(text, expected);
}

}  // namespace
}  // namespace promorec::pipeline

namespace promorec::pipeline {
namespace {

TEST_F(DecisionStageTest, AttributionLabelsDecisionsByTheirOutcome) {
  using event::EventType;
  Append({Event("v1", "ann", EventType::kView, kT0), Event("v2", "bob", EventType::kView, kT0),
          Event("v3", "cy", EventType::kView, kT0)});
  auto p = Open();
  const auto decisions = p->Logged();
  const DecisionRecord& ann = decisions.at(DecisionId("event", "v1"));
  const DecisionRecord& cy = decisions.at(DecisionId("event", "v3"));
  // Ann buys with the code she was shown, 20 minutes later; Bob buys
  // something else; Cy's click arrives after her window closed, but
  // happened inside it.
  event::ClickEvent buy = Event("b1", "ann", EventType::kBuy, kT0 + 20 * 60'000'000LL);
  buy.promotion_code = ann.promotion_code;
  event::ClickEvent other = Event("b2", "bob", EventType::kBuy, kT0 + 30 * 60'000'000LL);
  other.offer_id = "not-shown";
  event::ClickEvent late = Event("c3", "cy", EventType::kClick, kT0 + 50 * 60'000'000LL);
  late.offer_id = cy.promotion_id;
  p->fold().Start();
  Append({buy, other});
  // Time moves on per shard (a shopper's events are all in one shard):
  // Cy's and Bob's next events, 90 minutes on, close their windows (1 h
  // plus 10 min of lateness); closed ones are kept another hour for late
  // outcomes.
  Append({Event("tick", "cy", EventType::kBuy, kT0 + 90 * 60'000'000LL), late,
          Event("tock", "bob", EventType::kBuy, kT0 + 90 * 60'000'000LL)});
  ASSERT_TRUE(p->fold().WaitUntilApplied(writer_->LastAcknowledged(), 60'000'000));
  p->fold().Stop();
  const auto examples = p->Examples();
  const Example& a = examples.at({ann.decision_id, false});
  EXPECT_EQ(a.label, 1);
  EXPECT_EQ(a.outcome_event_id, "b1");
  EXPECT_EQ(a.product, "p");
  EXPECT_DOUBLE_EQ(a.probability, ann.probability);
  EXPECT_EQ(examples.at({DecisionId("event", "v2"), false}).label, 0);
  EXPECT_EQ(examples.at({cy.decision_id, false}).label, 0);
  const Example& corrected = examples.at({cy.decision_id, true});
  EXPECT_EQ(corrected.label, 1);
  EXPECT_EQ(corrected.outcome_event_id, "c3");
  EXPECT_EQ(examples.size(), 4u);
  const AttributionCounters c = p->stage().counters().attribution;
  EXPECT_EQ(c.positives, 1u);
  EXPECT_EQ(c.negatives, 2u);
  EXPECT_EQ(c.corrections, 1u);
}

// A decision made on request is labelled by the shopper's later buy, as an
// event's is, also when the process crashed in between (no snapshot after
// the request: the restart finds it in the ad log).
TEST_F(DecisionStageTest, RequestDecisionsAreAttributedAcrossACrash) {
  using event::EventType;
  decide::Request request;
  request.user_id = "zoe";
  request.product = "hat";
  request.now_us = kT0;
  decide::Request other = request;
  other.user_id = "yan";
  DecisionRecord zoe;
  {
    auto p = Open();
    ASSERT_TRUE(p->fold().Save());
    auto decided = p->stage().DecideNow(request, "slot-1");
    ASSERT_TRUE(decided) << decided.error().ToString();
    zoe = *decided;
    ASSERT_TRUE(p->stage().DecideNow(other, "slot-2"));
    EXPECT_EQ(p->stage().counters().attribution.pending, 2u);
    // Crash: no Save.
  }
  auto p = Open();
  EXPECT_EQ(p->stage().counters().attribution.pending, 2u) << "found again in the ad log";
  event::ClickEvent buy = Event("b1", "zoe", EventType::kBuy, kT0 + 20 * 60'000'000LL);
  buy.promotion_code = zoe.promotion_code;
  p->fold().Start();
  // Yan's next event, 90 minutes on, closes Yan's window as a failure.
  Append({buy, Event("tick", "yan", EventType::kBuy, kT0 + 90 * 60'000'000LL)});
  ASSERT_TRUE(p->fold().WaitUntilApplied(writer_->LastAcknowledged(), 60'000'000));
  p->fold().Stop();
  ASSERT_TRUE(p->fold().Save());
  const auto examples = p->Examples();
  ASSERT_EQ(examples.size(), 2u);
  const Example& bought = examples.at({DecisionId("request", "slot-1"), false});
  EXPECT_EQ(bought.label, 1);
  EXPECT_EQ(bought.outcome_event_id, "b1");
  EXPECT_EQ(bought.product, "hat");
  EXPECT_DOUBLE_EQ(bought.probability, zoe.probability);
  EXPECT_EQ(examples.at({DecisionId("request", "slot-2"), false}).label, 0);
}

TEST_F(DecisionStageTest, ExamplesAreNotLoggedTwiceAfterACrash) {
  using event::EventType;
  std::vector<event::ClickEvent> events;
  for (int i = 0; i < 30; ++i) {
    events.push_back(Event("e" + std::to_string(i), "u" + std::to_string(i % 5), EventType::kView,
                           kT0 + i * kHour));
  }
  Append(std::vector<event::ClickEvent>(events.begin(), events.begin() + 10));
  std::size_t before = 0;
  {
    auto p = Open();
    ASSERT_TRUE(p->fold().Save());
    p->fold().Start();
    Append(std::vector<event::ClickEvent>(events.begin() + 10, events.end()));
    ASSERT_TRUE(p->fold().WaitUntilApplied(writer_->LastAcknowledged(), 60'000'000));
    p->fold().Stop();
    before = p->Examples().size();
    EXPECT_GT(before, 20u);
  }
  auto p = Open();
  EXPECT_EQ(p->Examples().size(), before);
}

// An explicit reward labels the decision it names, on the running
// pipeline, once: across a crash it is neither lost (one read after the
// snapshot is read again) nor applied twice (one read before it is not).
TEST_F(DecisionStageTest, RewardsLabelTheirDecisionsOnceAcrossACrash) {
  using event::EventType;
  Append({Event("v1", "ann", EventType::kView, kT0), Event("v2", "bob", EventType::kView, kT0),
          Event("v3", "cyd", EventType::kView, kT0)});
  const std::string ann = DecisionId("event", "v1");
  const std::string bob = DecisionId("event", "v2");
  {
    auto p = Open();
    ASSERT_EQ(p->Logged().size(), 3u);
    p->fold().Start();
    p->Reward(ann, 1.0, kT0 + 60'000'000LL);
    ASSERT_TRUE(p->WaitForRewards(1));
    p->fold().Stop();
    ASSERT_TRUE(p->fold().Save());
    // After the snapshot: applied, its example logged, then a crash.
    p->fold().Start();
    p->Reward(bob, 0.0, kT0 + 120'000'000LL);
    ASSERT_TRUE(p->WaitForRewards(2));
    p->fold().Stop();
    EXPECT_EQ(p->stage().counters().rewards_applied, 2u);
    EXPECT_EQ(p->Examples().size(), 2u);
  }
  auto p = Open();
  p->fold().Start();
  p->Reward(std::string(32, 'f'), 1.0, kT0 + 180'000'000LL);  // no such decision
  ASSERT_TRUE(p->WaitForRewards(2));
  p->fold().Stop();
  const DecisionCounters c = p->stage().counters();
  EXPECT_EQ(c.rewards_applied, 1u) << "bob's, read again after the snapshot; not ann's";
  EXPECT_EQ(c.rewards_unmatched, 1u);
  EXPECT_EQ(c.attribution.pending, 1u) << "cyd's decision waits on";
  const auto examples = p->Examples();  // fails on an example logged twice
  ASSERT_EQ(examples.size(), 2u);
  const Example& won = examples.at({ann, false});
  EXPECT_EQ(won.label, 1);
  EXPECT_EQ(won.outcome_event_id, kRewardOutcome);
  EXPECT_EQ(won.outcome_time_us, kT0 + 60'000'000LL);
  EXPECT_EQ(won.user_id, "ann");
  const Example& lost = examples.at({bob, false});
  EXPECT_EQ(lost.label, 0);
  EXPECT_EQ(lost.outcome_event_id, kRewardOutcome);
}

// After a periodic snapshot, the frequency caps forget the shoppers whose
// decisions have left every window (24 h by default), counted.
TEST_F(DecisionStageTest, CapsForgetShoppersOutsideEveryWindowAfterASnapshot) {
  using event::EventType;
  Append({Event("v1", "old", EventType::kView, kT0),
          Event("v2", "new", EventType::kView, kT0 + 25 * kHour)});
  Pipeline p(*env_, clock_, *store_, clicks_, Promotions(5), {}, 1'000'000);
  ASSERT_EQ(p.Logged().size(), 2u);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(p.fold().SnapshotIfDue());
  p.fold().FinishSnapshot();
  EXPECT_EQ(p.fold().caps_pruned(), 1u) << "old's decision is 25 h before the newest event";
}

}  // namespace
}  // namespace promorec::pipeline
