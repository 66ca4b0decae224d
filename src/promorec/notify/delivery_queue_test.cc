// The delivery queue: its backoff, its limits, what it does with a receiver
// that hangs or is gone, how it stops, and a dead-letter file that cannot be
// written. Deliveries go through the real webhook channel to a real HTTP
// receiver (webhook_receiver_test_util.h); the threaded tests use the real
// clock and wait for events, never for a time.
#include "promorec/notify/delivery_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/fault_env.h"
#include "promorec/notify/notify_test_util.h"
#include "promorec/notify/webhook.h"
#include "promorec/notify/webhook_receiver_test_util.h"

namespace promorec::notify {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kSecret[] = "queue-secret";

WebhookOptions Options(const std::vector<std::string>& urls, const std::string& dir) {
  WebhookOptions options;
  options.urls = urls;
  options.secret = kSecret;
  options.delivery.dead_letter_dir = dir + "/deadletter";
  options.delivery.seed = 11;
  return options;
}

TEST(RetryDelayTest, EqualJitterOnACappedExponential) {
  DeliveryOptions options;
  options.backoff_base = milliseconds(500);
  options.backoff_max = seconds(60);
  base::Rng rng(1);
  for (int failed = 1; failed <= 12; ++failed) {
    const std::int64_t ceiling = std::min<std::int64_t>(500'000LL << (failed - 1), 60'000'000);
    std::set<std::int64_t> seen;
    for (int draw = 0; draw < 200; ++draw) {
      const microseconds delay = RetryDelay(options, failed, rng);
      ASSERT_GE(delay.count(), ceiling / 2) << failed;
      ASSERT_LE(delay.count(), ceiling) << failed;
      seen.insert(delay.count());
    }
    EXPECT_GT(seen.size(), 150u) << "the jitter spreads the delays";
  }
  // Attempt counts far past the cap do not overflow.
  EXPECT_LE(RetryDelay(options, 1000, rng), seconds(60));
  base::Rng a(5);
  base::Rng b(5);
  for (int i = 1; i < 8; ++i) EXPECT_EQ(RetryDelay(options, i, a), RetryDelay(options, i, b));
}

TEST(DeliveryQueueTest, OptionsAreChecked) {
  TempDir dir;
  base::FakeClock clock;
  const auto error = [&](const WebhookOptions& options) {
    auto made = NewWebhookDelivery(options, clock, base::DefaultEnv());
    return made ? std::string("ok") : made.error().message();
  };
  const WebhookOptions good = Options({"http://127.0.0.1:9/x"}, dir.path());
  EXPECT_EQ(error(good), "ok");
  WebhookOptions o = good;
  o.delivery.capacity = 0;
  EXPECT_EQ(error(o), "delivery queue for webhook: capacity must be at least 1");
  o = good;
  o.delivery.workers = 0;
  EXPECT_EQ(error(o), "delivery queue for webhook: workers must be at least 1");
  o = good;
  o.delivery.backoff_base = seconds(2);
  o.delivery.backoff_max = seconds(1);
  EXPECT_EQ(error(o),
            "delivery queue for webhook: backoff must satisfy 0 < base (2000000 us) <= max "
            "(1000000 us)");
  o = good;
  o.delivery.dead_letter_dir.clear();
  EXPECT_EQ(error(o), "delivery queue for webhook: no dead-letter folder");
}

// A receiver that hangs: the pipeline's Enqueue calls all return while it
// holds the first request, the target takes `capacity` deliveries and drops
// the rest, and a healthy target in the same queue gets every notification
// it took meanwhile.
TEST(DeliveryQueueTest, SlowReceiverFillsOnlyItsShareAndEnqueueNeverWaits) {
  TempDir dir;
  WebhookReceiver slow(kSecret);
  WebhookReceiver fast(kSecret);
  slow.Script({"HANG"});
  WebhookOptions options = Options({slow.url(), fast.url()}, dir.path());
  options.total_timeout = seconds(60);
  options.delivery.capacity = 4;
  options.delivery.workers = 2;
  options.delivery.max_in_flight_per_target = 1;
  auto made = NewWebhookDelivery(options, base::RealClock(), base::DefaultEnv());
  ASSERT_TRUE(made) << made.error().ToString();
  DeliveryQueue& queue = **made;
  queue.Start();

  queue.Enqueue(TestNotification("d-0"));
  ASSERT_TRUE(slow.WaitForRequests(1));  // a worker is now stuck in that attempt
  for (int i = 1; i < 20; ++i) queue.Enqueue(TestNotification("d-" + std::to_string(i)));
  // Every Enqueue returned while the slow receiver had answered nothing.
  EXPECT_EQ(slow.answered(), 0u);
  const DeliveryStats slow_stats = queue.target_stats(0);
  EXPECT_EQ(slow_stats.enqueued, 4u);
  EXPECT_EQ(slow_stats.dropped_full, 16u);
  EXPECT_EQ(slow_stats.depth, 4u);
  const DeliveryStats fast_stats = queue.target_stats(1);
  EXPECT_EQ(fast_stats.enqueued + fast_stats.dropped_full, 20u);
  EXPECT_GE(fast_stats.enqueued, 4u);

  // The healthy receiver gets all it took while the slow one still hangs.
  ASSERT_TRUE(fast.WaitForAnswers(fast_stats.enqueued));
  EXPECT_EQ(slow.answered(), 0u);
  EXPECT_EQ(slow.request_count(), 1u);  // one attempt in flight at a time

  slow.Release();
  ASSERT_TRUE(slow.WaitForAnswers(4));
  for (int i = 0; i < 2000 && queue.stats().delivered < 4 + fast_stats.enqueued; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  const DeliveryStats stats = queue.stats();
  EXPECT_EQ(stats.delivered, 4 + fast_stats.enqueued);
  EXPECT_EQ(stats.dropped_full, 16 + fast_stats.dropped_full);
  EXPECT_EQ(stats.depth, 0u);
  EXPECT_EQ(queue.Stop().dead_lettered, 0u);
  // The slow receiver got d-0..d-3, in order.
  const auto requests = slow.requests();
  ASSERT_EQ(requests.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(requests[static_cast<std::size_t>(i)].headers.at("idempotency-key"),
              "d-" + std::to_string(i));
  }
}

// Stop does not wait for a hanging receiver's timeout: the attempt in
// flight is cancelled, and it and everything still queued is dead-lettered.
TEST(DeliveryQueueTest, StopCancelsTheAttemptInFlightAndDeadLettersWhatIsHeld) {
  TempDir dir;
  WebhookReceiver receiver(kSecret);
  receiver.Script({"HANG"});
  WebhookOptions options = Options({receiver.url()}, dir.path());
  options.total_timeout = seconds(600);
  options.delivery.workers = 1;
  auto made = NewWebhookDelivery(options, base::RealClock(), base::DefaultEnv());
  ASSERT_TRUE(made);
  DeliveryQueue& queue = **made;
  queue.Start();
  for (const char* id : {"d-1", "d-2", "d-3"}) queue.Enqueue(TestNotification(id));
  ASSERT_TRUE(receiver.WaitForRequests(1));

  const DeliveryQueue::StopReport report = queue.Stop();
  EXPECT_EQ(report.dead_lettered, 3u);
  const DeliveryStats stats = queue.stats();
  EXPECT_EQ(stats.failed, 3u);
  EXPECT_EQ(stats.depth, 0u);
  EXPECT_EQ(stats.delivered, 0u);

  const auto lines = DeadLetterLines(options.delivery.dead_letter_dir);
  ASSERT_EQ(lines.size(), 3u);
  const std::string cancelled = R"("reason":"shutdown","message":"shutdown after 1 attempts; )"
                                R"(last error: POST )" +
                                receiver.url() + R"(: cancelled","attempts":1,)";
  EXPECT_NE(lines[0].find(cancelled), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("decision_id":"d-1")"), std::string::npos);
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_NE(lines[i].find(R"("reason":"shutdown","message":"not attempted before shutdown",)"
                            R"("attempts":0,)"),
              std::string::npos)
        << lines[i];
    EXPECT_NE(lines[i].find(R"("decision_id":"d-)" + std::to_string(i + 1) + "\""),
              std::string::npos);
  }

  // After Stop nothing is taken, and it is counted.
  queue.Enqueue(TestNotification("d-late"));
  EXPECT_EQ(queue.stats().dropped_stopped, 1u);
  EXPECT_EQ(queue.Stop().dead_lettered, 0u);
}

// Retries wait in the queue, not in a worker: with one worker, a receiver
// that keeps failing does not hold up a healthy one (real clock, short
// backoff).
TEST(DeliveryQueueTest, WaitingRetriesDoNotHoldAWorker) {
  TempDir dir;
  WebhookReceiver failing(kSecret);
  WebhookReceiver healthy(kSecret);
  failing.Script({WebhookReceiver::Reply(503)});
  WebhookOptions options = Options({failing.url(), healthy.url()}, dir.path());
  options.delivery.workers = 1;
  options.delivery.max_in_flight_per_target = 1;
  options.delivery.max_attempts = 3;
  options.delivery.backoff_base = milliseconds(20);
  options.delivery.backoff_max = milliseconds(40);
  auto made = NewWebhookDelivery(options, base::RealClock(), base::DefaultEnv());
  ASSERT_TRUE(made);
  DeliveryQueue& queue = **made;
  queue.Start();
  for (int i = 0; i < 5; ++i) queue.Enqueue(TestNotification("d-" + std::to_string(i)));
  ASSERT_TRUE(healthy.WaitForAnswers(5));
  for (int i = 0; i < 2000 && queue.stats().depth > 0; ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  // Stop joins the workers, so the last dead letter is written.
  EXPECT_EQ(queue.Stop().dead_lettered, 0u);
  const DeliveryStats failing_stats = queue.target_stats(0);
  EXPECT_EQ(failing_stats.failed, 5u);
  EXPECT_EQ(failing_stats.retried, 10u);
  EXPECT_EQ(failing.request_count(), 15u);
  EXPECT_EQ(queue.target_stats(1).delivered, 5u);
  EXPECT_EQ(DeadLetterLines(options.delivery.dead_letter_dir).size(), 5u);
}

TEST(DeliveryQueueTest, ADeadLetterThatCannotBeWrittenIsCounted) {
  TempDir dir;
  base::FaultInjectionEnv env(base::DefaultEnv());
  env.FailWritesAfter(1);
  WebhookReceiver receiver(kSecret);
  receiver.Script({WebhookReceiver::Reply(422)});
  base::FakeClock clock(1'700'000'000'000'000);
  WebhookOptions options = Options({receiver.url()}, dir.path());
  auto made = NewWebhookDelivery(options, clock, env);
  ASSERT_TRUE(made);
  DeliveryQueue& queue = **made;
  for (const char* id : {"d-1", "d-2"}) queue.Enqueue(TestNotification(id));
  EXPECT_EQ(queue.RunDue(), 2u);
  const DeliveryStats stats = queue.stats();
  EXPECT_EQ(stats.failed, 2u);
  EXPECT_EQ(stats.dead_letter_errors, 1u);
  const auto lines = DeadLetterLines(options.delivery.dead_letter_dir);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("decision_id":"d-1")"), std::string::npos);
}

TEST(DeliveryQueueTest, NoFileUntilTheFirstDeadLetter) {
  TempDir dir;
  WebhookReceiver receiver(kSecret);
  base::FakeClock clock;
  const WebhookOptions options = Options({receiver.url()}, dir.path());
  auto made = NewWebhookDelivery(options, clock, base::DefaultEnv());
  ASSERT_TRUE(made);
  (*made)->Enqueue(TestNotification("d-ok"));
  (*made)->RunDue();
  EXPECT_EQ((*made)->stats().delivered, 1u);
  EXPECT_EQ((*made)->dead_letter_path(), "");
  EXPECT_FALSE(std::filesystem::exists(options.delivery.dead_letter_dir));
}

}  // namespace
}  // namespace promorec::notify
