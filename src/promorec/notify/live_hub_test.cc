#include "promorec/notify/live_hub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace promorec::notify {
namespace {

// A subscriber's end: takes up to `capacity` frames, like a bounded
// connection buffer whose client does not read.
class TestSink final : public LiveSink {
 public:
  explicit TestSink(std::size_t capacity = 100000) : capacity_(capacity) {}

  bool Write(std::string_view frame) override {
    const std::lock_guard lock(mutex_);
    if (closed_ || gone_ || frames_.size() >= capacity_) return false;
    frames_.emplace_back(frame);
    return true;
  }
  // Frames written without a wake-up wait for the next Wake.
  bool WriteDeferred(std::string_view frame) override {
    if (!Write(frame)) return false;
    const std::lock_guard lock(mutex_);
    ++unwoken_;
    return true;
  }
  void Wake() override {
    const std::lock_guard lock(mutex_);
    ++wakes_;
    unwoken_ = 0;
  }
  int wakes() const {
    const std::lock_guard lock(mutex_);
    return wakes_;
  }
  int unwoken() const {
    const std::lock_guard lock(mutex_);
    return unwoken_;
  }
  void Close() override {
    const std::lock_guard lock(mutex_);
    closed_ = true;
  }
  bool closed() const override {
    const std::lock_guard lock(mutex_);
    return closed_ || gone_;
  }
  // The client hangs up.
  void Leave() {
    const std::lock_guard lock(mutex_);
    gone_ = true;
  }
  bool closed_by_hub() const {
    const std::lock_guard lock(mutex_);
    return closed_;
  }
  std::vector<std::string> frames() const {
    const std::lock_guard lock(mutex_);
    return frames_;
  }
  // The `id:` of each frame, in order.
  std::vector<std::string> ids() const {
    std::vector<std::string> ids;
    for (const std::string& f : frames()) {
      ids.push_back(f.starts_with("id: ") ? f.substr(4, f.find('\n') - 4) : "?");
    }
    return ids;
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<std::string> frames_;
  bool closed_ = false;
  bool gone_ = false;
  int wakes_ = 0;
  int unwoken_ = 0;
};

Notification Make(const std::string& user, std::uint32_t shard, std::uint64_t sequence,
                  std::uint64_t order) {
  Notification n;
  n.decision_id = "d" + std::to_string(shard) + "-" + std::to_string(sequence);
  n.position = std::to_string(shard) + "-" + std::to_string(sequence);
  n.order = order;
  n.user_id = user;
  n.promotion_id = "p1";
  n.message = "hello " + user;
  return n;
}

// The durable log as the pipeline writes it: a notification is appended
// before it is published. The backfill reads it one record at a time, so
// appends made while it runs may or may not be seen, as with a real log.
class Log {
 public:
  void Append(const Notification& n) {
    const std::lock_guard lock(mutex_);
    records_.push_back(n);
  }
  Backfill MakeBackfill() {
    return [this](std::string_view user, const LivePosition& after, const BackfillEmit& emit) {
      ++backfills;
      for (std::size_t i = 0;; ++i) {
        Notification n;
        {
          const std::lock_guard lock(mutex_);
          if (i >= records_.size()) break;
          n = records_[i];
        }
        if (n.user_id != user) continue;
        if (AtOrBefore(*ParseLivePosition(n.position), after)) continue;
        if (!emit(n)) break;
        if (during_backfill) during_backfill(n);
        std::this_thread::yield();  // widen the window for a concurrent Publish
      }
      if (after_backfill) after_backfill();
      return base::OkStatus();
    };
  }
  int backfills = 0;
  // Run after each emitted record, and after the last record was read (on
  // the subscriber's thread).
  std::function<void(const Notification&)> during_backfill;
  std::function<void()> after_backfill;

 private:
  std::mutex mutex_;
  std::vector<Notification> records_;
};

std::vector<std::string> Positions(std::uint32_t shard, std::uint64_t first, std::uint64_t last) {
  std::vector<std::string> out;
  for (std::uint64_t s = first; s <= last; ++s) {
    out.push_back(std::to_string(shard) + "-" + std::to_string(s));
  }
  return out;
}

TEST(LiveHubTest, FramesGoToTheShoppersStreamsAndToEveryoneStreams) {
  LiveHub hub(LiveHubOptions{}, nullptr);
  auto ann1 = std::make_shared<TestSink>();
  auto ann2 = std::make_shared<TestSink>();
  auto bob = std::make_shared<TestSink>();
  auto admin = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"ann", std::nullopt}, ann1));
  ASSERT_TRUE(hub.Subscribe({"ann", std::nullopt}, ann2));
  ASSERT_TRUE(hub.Subscribe({"bob", std::nullopt}, bob));
  ASSERT_TRUE(hub.Subscribe({"", std::nullopt}, admin));
  EXPECT_EQ(hub.counters().subscribers, 4u);

  hub.Publish(Make("ann", 0, 1, 1));
  hub.Publish(Make("bob", 1, 1, 1));
  hub.Publish(Make("cat", 2, 1, 1));

  const std::string expected =
      "id: 0-1\nevent: notification\ndata: " + NotificationJson(Make("ann", 0, 1, 1)) + "\n\n";
  EXPECT_EQ(ann1->frames(), std::vector<std::string>{expected});
  EXPECT_EQ(ann2->frames(), std::vector<std::string>{expected});
  EXPECT_EQ(bob->ids(), std::vector<std::string>{"1-1"});
  EXPECT_EQ(admin->ids(), (std::vector<std::string>{"0-1", "1-1", "2-1"}));
  const LiveHubCounters c = hub.counters();
  EXPECT_EQ(c.published, 3u);
  EXPECT_EQ(c.delivered, 6u);
  EXPECT_EQ(c.dropped, 0u);
}

TEST(LiveHubTest, ABatchWakesEachReaderOnceAfterItsFrames) {
  LiveHub hub(LiveHubOptions{}, nullptr);
  auto ann = std::make_shared<TestSink>();
  auto bob = std::make_shared<TestSink>();
  auto admin = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"ann", std::nullopt}, ann));
  ASSERT_TRUE(hub.Subscribe({"bob", std::nullopt}, bob));
  ASSERT_TRUE(hub.Subscribe({"", std::nullopt}, admin));
  const std::vector<Notification> batch = {Make("ann", 0, 1, 1), Make("cat", 1, 1, 1),
                                           Make("ann", 0, 2, 2), Make("ann", 0, 3, 3)};
  hub.Publish(batch);
  EXPECT_EQ(ann->ids(), (std::vector<std::string>{"0-1", "0-2", "0-3"}));
  EXPECT_EQ(admin->ids(), (std::vector<std::string>{"0-1", "1-1", "0-2", "0-3"}));
  EXPECT_TRUE(bob->ids().empty());
  EXPECT_EQ(ann->wakes(), 1);
  EXPECT_EQ(admin->wakes(), 1);
  EXPECT_EQ(bob->wakes(), 0) << "nothing for bob: not woken";
  EXPECT_EQ(ann->unwoken(), 0) << "every frame was followed by a wake-up";
  EXPECT_EQ(admin->unwoken(), 0);
  EXPECT_EQ(hub.counters().published, 4u);
  // The next batch wakes again.
  hub.Publish(std::vector<Notification>{Make("ann", 0, 4, 4)});
  EXPECT_EQ(ann->wakes(), 2);
  EXPECT_EQ(admin->wakes(), 2);
}

TEST(LiveHubTest, AFrameNeverCarriesALineBreakInsideAField) {
  Notification n = Make("ann", 0, 1, 1);
  n.message = "two\nlines\r\n";
  n.position = "0-1\nevent: forged";
  std::string frame;
  AppendLiveFrame(n, &frame);
  EXPECT_FALSE(frame.starts_with("id:")) << frame;  // an id that would break is left out
  EXPECT_TRUE(frame.ends_with("\n\n"));
  // Only the two field ends and the closing blank line.
  EXPECT_EQ(std::count(frame.begin(), frame.end(), '\n'), 3) << frame;
  EXPECT_EQ(frame.find('\r'), std::string::npos);
}

TEST(LiveHubTest, ResumeSendsTheLogAfterTheIdThenLiveWithNoGapOrRepeat) {
  Log log;
  LiveHub hub(LiveHubOptions{}, log.MakeBackfill());
  for (std::uint64_t s = 1; s <= 5; ++s) {
    log.Append(Make("ann", 3, s, s));
    log.Append(Make("bob", 3, 100 + s, s));
  }
  // While the backfill runs, 6 reaches the log before the backfill reads
  // that far and is published live too: it must come once. 7 is published
  // once the backfill has read the log's end: only the live side has it.
  const auto publish = [&](std::uint64_t s) {
    const Notification n = Make("ann", 3, s, s);
    log.Append(n);
    hub.Publish(n);
  };
  log.during_backfill = [&](const Notification& n) {
    if (n.order == 4) publish(6);
  };
  log.after_backfill = [&] { publish(7); };
  auto sink = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"ann", LivePosition{3, 2}}, sink));
  EXPECT_EQ(sink->ids(), Positions(3, 3, 7));
  publish(8);
  hub.Publish(Make("ann", 3, 8, 8));  // published again (a pipeline restart): not sent twice
  EXPECT_EQ(sink->ids(), Positions(3, 3, 8));
  EXPECT_EQ(log.backfills, 1);
  const LiveHubCounters c = hub.counters();
  EXPECT_EQ(c.backfilled, 4u);
  EXPECT_EQ(c.delivered, 6u);
}

TEST(LiveHubTest, ResumeAtTheNewestIdDropsRepeatsOfIt) {
  Log log;
  LiveHub hub(LiveHubOptions{}, log.MakeBackfill());
  for (std::uint64_t s = 1; s <= 3; ++s) log.Append(Make("ann", 0, s, s));
  log.during_backfill = [](const Notification&) { FAIL() << "nothing is after 0-3"; };
  auto sink = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"ann", LivePosition{0, 3}}, sink));
  EXPECT_TRUE(sink->frames().empty());
  hub.Publish(Make("ann", 0, 3, 3));  // the client has this one
  hub.Publish(Make("ann", 0, 4, 4));
  EXPECT_EQ(sink->ids(), std::vector<std::string>{"0-4"});
}

// The pipeline publishes from its own thread while shoppers reconnect:
// whatever the interleaving, each resumed stream holds every notification
// after its id exactly once, in order.
TEST(LiveHubTest, ResumeWhilePublishingConcurrentlyHasNoGapOrRepeat) {
  constexpr std::uint64_t kTotal = 2000;
  for (int round = 0; round < 10; ++round) {
    Log log;
    LiveHubOptions options;
    options.max_pending = kTotal;  // room for everything published during a backfill
    LiveHub hub(options, log.MakeBackfill());
    for (std::uint64_t s = 1; s <= 10; ++s) log.Append(Make("ann", 1, s, s));
    std::atomic<bool> go{false};
    std::thread pipeline([&] {
      go = true;
      for (std::uint64_t s = 11; s <= kTotal; ++s) {
        const Notification n = Make("ann", 1, s, s);
        log.Append(n);
        hub.Publish(n);
      }
    });
    while (!go) std::this_thread::yield();
    std::vector<std::shared_ptr<TestSink>> sinks;
    for (std::uint64_t after = 0; after < 8; ++after) {
      sinks.push_back(std::make_shared<TestSink>());
      ASSERT_TRUE(hub.Subscribe({"ann", LivePosition{1, after * 50}}, sinks.back()));
    }
    pipeline.join();
    for (std::uint64_t after = 0; after < 8; ++after) {
      ASSERT_EQ(sinks[after]->ids(), Positions(1, after * 50 + 1, kTotal))
          << "round " << round << " after 1-" << after * 50;
    }
    EXPECT_EQ(hub.counters().disconnected_slow, 0u);
  }
}

TEST(LiveHubTest, ASubscriberThatFallsBehindIsClosedAndCountedOthersCarryOn) {
  LiveHub hub(LiveHubOptions{}, nullptr);
  auto slow = std::make_shared<TestSink>(2);
  auto fine = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"ann", std::nullopt}, slow));
  ASSERT_TRUE(hub.Subscribe({"ann", std::nullopt}, fine));
  for (std::uint64_t s = 1; s <= 4; ++s) hub.Publish(Make("ann", 0, s, s));
  EXPECT_EQ(slow->ids(), Positions(0, 1, 2));
  EXPECT_TRUE(slow->closed_by_hub());  // its client reconnects and resumes after 0-2
  EXPECT_EQ(fine->ids(), Positions(0, 1, 4));
  const LiveHubCounters c = hub.counters();
  EXPECT_EQ(c.disconnected_slow, 1u);
  EXPECT_EQ(c.dropped, 1u);
  EXPECT_EQ(c.subscribers, 1u);
}

TEST(LiveHubTest, AClientThatLeftIsForgottenWithoutCountingItSlow) {
  LiveHub hub(LiveHubOptions{}, nullptr);
  auto left = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"", std::nullopt}, left));
  left->Leave();
  hub.Publish(Make("ann", 0, 1, 1));
  const LiveHubCounters c = hub.counters();
  EXPECT_EQ(c.subscribers, 0u);
  EXPECT_EQ(c.disconnected_slow, 0u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_FALSE(left->closed_by_hub());
}

TEST(LiveHubTest, SubscribersAreLimitedAndUnsubscribeFreesTheirPlace) {
  LiveHubOptions options;
  options.max_subscribers = 2;
  LiveHub hub(options, nullptr);
  auto a = hub.Subscribe({"ann", std::nullopt}, std::make_shared<TestSink>());
  auto b = hub.Subscribe({"", std::nullopt}, std::make_shared<TestSink>());
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  const auto over = hub.Subscribe({"bob", std::nullopt}, std::make_shared<TestSink>());
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), base::Code::kUnavailable);
  EXPECT_EQ(over.error().message(), "live push is at its limit of 2 open streams; try again later");
  EXPECT_TRUE(LiveHub::IsSubscriberLimit(over.error()));
  hub.Unsubscribe(*a);
  hub.Unsubscribe(*a);  // twice is harmless
  auto bob = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"bob", std::nullopt}, bob));
  hub.Publish(Make("ann", 0, 1, 1));  // ann's stream is gone
  hub.Publish(Make("bob", 0, 2, 1));
  EXPECT_EQ(bob->ids(), std::vector<std::string>{"0-2"});
  const LiveHubCounters c = hub.counters();
  EXPECT_EQ(c.rejected, 1u);
  EXPECT_EQ(c.subscribers, 2u);
  EXPECT_EQ(c.delivered, 3u);  // bob's, and both to the everyone stream
}

TEST(LiveHubTest, TooManyLiveFramesDuringTheBackfillCloseTheSubscriber) {
  Log log;
  LiveHubOptions options;
  options.max_pending = 2;
  LiveHub hub(options, log.MakeBackfill());
  log.Append(Make("ann", 0, 1, 1));
  log.Append(Make("ann", 0, 2, 2));
  log.during_backfill = [&](const Notification& n) {
    if (n.order != 2) return;
    for (std::uint64_t s = 3; s <= 5; ++s) {
      log.Append(Make("ann", 0, s, s));
      hub.Publish(Make("ann", 0, s, s));
    }
  };
  auto sink = std::make_shared<TestSink>();
  const auto id = hub.Subscribe({"ann", LivePosition{0, 0}}, sink);
  ASSERT_TRUE(id) << id.error().ToString();
  // What it got is a prefix without gaps; the client resumes after it.
  const std::vector<std::string> got = sink->ids();
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got, Positions(0, 1, got.size()));
  EXPECT_TRUE(sink->closed_by_hub());
  EXPECT_EQ(hub.counters().disconnected_slow, 1u);
  EXPECT_EQ(hub.counters().subscribers, 0u);
}

TEST(LiveHubTest, ABackfillLargerThanTheSinkEndsTheStreamWithWhatFitted) {
  Log log;
  LiveHub hub(LiveHubOptions{}, log.MakeBackfill());
  for (std::uint64_t s = 1; s <= 10; ++s) log.Append(Make("ann", 0, s, s));
  auto small = std::make_shared<TestSink>(4);
  ASSERT_TRUE(hub.Subscribe({"ann", LivePosition{0, 0}}, small));
  EXPECT_EQ(small->ids(), Positions(0, 1, 4));
  EXPECT_TRUE(small->closed_by_hub());
  // The reconnect goes on from there.
  auto next = std::make_shared<TestSink>(4);
  ASSERT_TRUE(hub.Subscribe({"ann", LivePosition{0, 4}}, next));
  EXPECT_EQ(next->ids(), Positions(0, 5, 8));
  EXPECT_EQ(hub.counters().disconnected_slow, 2u);
  EXPECT_EQ(hub.counters().backfilled, 8u);
}

TEST(LiveHubTest, AFailedBackfillFailsTheSubscription) {
  LiveHub hub(LiveHubOptions{}, [](std::string_view, const LivePosition&, const BackfillEmit&) {
    return base::Status(base::IoError("read impressions shard 0: disk on fire"));
  });
  const auto id = hub.Subscribe({"ann", LivePosition{0, 7}}, std::make_shared<TestSink>());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code(), base::Code::kIoError);
  EXPECT_FALSE(LiveHub::IsSubscriberLimit(id.error()));
  EXPECT_EQ(id.error().message(),
            "resuming live push for user 'ann' after 0-7: read impressions shard 0: disk on fire");
  EXPECT_EQ(hub.counters().subscribers, 0u);
}

TEST(LiveHubTest, EveryoneStreamsResumeFromTheRecentRing) {
  LiveHubOptions options;
  options.recent = 4;
  LiveHub hub(options, nullptr);
  // Shards 0 and 1 interleave; the ring keeps the last four.
  hub.Publish(Make("ann", 0, 1, 1));
  hub.Publish(Make("bob", 1, 1, 1));
  hub.Publish(Make("ann", 0, 2, 2));
  hub.Publish(Make("bob", 1, 2, 2));
  hub.Publish(Make("cat", 0, 3, 1));
  hub.Publish(Make("bob", 1, 3, 3));

  auto found = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"", LivePosition{1, 2}}, found));
  EXPECT_EQ(found->ids(), (std::vector<std::string>{"0-3", "1-3"}));
  // 0-1 fell out of the ring: everything not known to be at or before it.
  auto lost = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"", LivePosition{0, 1}}, lost));
  EXPECT_EQ(lost->ids(), (std::vector<std::string>{"0-2", "1-2", "0-3", "1-3"}));
  EXPECT_EQ(hub.counters().replayed, 6u);
  hub.Publish(Make("ann", 0, 4, 3));
  EXPECT_EQ(found->ids().back(), "0-4");
  EXPECT_EQ(lost->ids().back(), "0-4");
}

TEST(LiveHubTest, WithoutABackfillOneShopperResumesFromTheRing) {
  LiveHub hub(LiveHubOptions{}, nullptr);
  for (std::uint64_t s = 1; s <= 3; ++s) {
    hub.Publish(Make("ann", 0, s, s));
    hub.Publish(Make("bob", 0, 10 + s, s));
  }
  auto sink = std::make_shared<TestSink>();
  ASSERT_TRUE(hub.Subscribe({"ann", LivePosition{0, 1}}, sink));
  EXPECT_EQ(sink->ids(), (std::vector<std::string>{"0-2", "0-3"}));
  hub.Publish(Make("ann", 0, 3, 3));  // a repeat
  hub.Publish(Make("ann", 0, 4, 4));
  EXPECT_EQ(sink->ids(), (std::vector<std::string>{"0-2", "0-3", "0-4"}));
}

TEST(LiveHubTest, DestroyingTheHubClosesItsSinks) {
  auto sink = std::make_shared<TestSink>();
  {
    LiveHub hub(LiveHubOptions{}, nullptr);
    ASSERT_TRUE(hub.Subscribe({"ann", std::nullopt}, sink));
  }
  EXPECT_TRUE(sink->closed_by_hub());
}

}  // namespace
}  // namespace promorec::notify
