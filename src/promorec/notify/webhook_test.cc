// Webhooks against a real HTTP receiver on 127.0.0.1 (webhook_receiver_test_util.h),
// which checks each signature with its own HMAC. Time is a FakeClock and
// the deliveries run on the test's thread (RunDue), so retry schedules are
// exact and nothing sleeps.
#include "promorec/notify/webhook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/notify/notify_test_util.h"
#include "promorec/notify/webhook_receiver_test_util.h"

namespace promorec::notify {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kSecret[] = "whsec-3f9a1c2b7d";
constexpr std::int64_t kStartUs = 1'700'000'000'000'000;

class WebhookTest : public ::testing::Test {
 protected:
  WebhookOptions Options(std::vector<std::string> urls) {
    WebhookOptions options;
    options.urls = std::move(urls);
    options.secret = kSecret;
    options.delivery.dead_letter_dir = dir_.path() + "/deadletter";
    options.delivery.seed = 7;
    options.delivery.workers = 1;
    return options;
  }
  std::unique_ptr<DeliveryQueue> Make(const WebhookOptions& options) {
    auto queue = NewWebhookDelivery(options, clock_, base::DefaultEnv());
    EXPECT_TRUE(queue) << queue.error().ToString();
    return queue ? std::move(*queue) : nullptr;
  }
  // Runs due deliveries and moves the clock to the next retry until none is
  // held; returns the delays waited.
  std::vector<microseconds> DeliverAll(DeliveryQueue& queue) {
    std::vector<microseconds> waits;
    for (int rounds = 0; rounds < 100; ++rounds) {
      queue.RunDue();
      const microseconds next = queue.NextDueIn();
      if (next.count() < 0) break;
      waits.push_back(next);
      clock_.Advance(next);
    }
    return waits;
  }

  TempDir dir_;
  base::FakeClock clock_{kStartUs};
};

TEST_F(WebhookTest, PostsSignedJsonToEveryUrl) {
  WebhookReceiver first(kSecret);
  WebhookReceiver second(kSecret);
  auto queue = Make(Options({first.url(), second.url("/other?token=abc")}));
  ASSERT_TRUE(queue);
  const Notification n = TestNotification("d-0001");
  queue->Enqueue(n);
  EXPECT_EQ(queue->RunDue(), 2u);

  for (const WebhookReceiver* receiver : {&first, &second}) {
    const auto requests = receiver->requests();
    ASSERT_EQ(requests.size(), 1u);
    const auto& r = requests[0];
    EXPECT_TRUE(r.signature_ok);
    EXPECT_EQ(r.signed_at, kStartUs / 1'000'000);
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("idempotency-key"), "d-0001");
    EXPECT_EQ(r.headers.at("x-promorec-timestamp"), "1700000000");
    EXPECT_EQ(r.headers.at("x-promorec-attempt"), "1");
    EXPECT_EQ(r.headers.count("expect"), 0u);
    EXPECT_EQ(r.body, NotificationJson(n));
  }
  EXPECT_EQ(first.requests()[0].request_line, "POST /hook HTTP/1.1");
  EXPECT_EQ(second.requests()[0].request_line, "POST /other?token=abc HTTP/1.1");
  // The body is exactly the documented JSON (no email, no order).
  EXPECT_EQ(
      first.requests()[0].body,
      R"({"decision_id":"d-0001","position":"0-17","user_id":"u-42","promotion_id":"p-7",)"
      R"("promotion_code":"HIKE10","product":"Wanderschuhe Alpin","time_us":1700000000123456,)"
      R"("subject":"You have a coupon!","message":"We noticed you were looking at our )"
      R"(Wanderschuhe Alpin today. We thought that a discount might make your decision )"
      R"(easier - 10% off hiking boots! Enter code HIKE10 on the checkout page."})");
  const DeliveryStats stats = queue->stats();
  EXPECT_EQ(stats.enqueued, 2u);
  EXPECT_EQ(stats.delivered, 2u);
  EXPECT_EQ(stats.depth, 0u);
  EXPECT_EQ(queue->channel().TargetName(1), second.url("/other") + "?...");
}

TEST_F(WebhookTest, ReceiverWithAnotherSecretRejectsTheSignature) {
  WebhookReceiver receiver("not-the-secret");
  auto queue = Make(Options({receiver.url()}));
  ASSERT_TRUE(queue);
  queue->Enqueue(TestNotification("d-0002"));
  queue->RunDue();
  ASSERT_EQ(receiver.request_count(), 1u);
  EXPECT_FALSE(receiver.requests()[0].signature_ok);
}

TEST_F(WebhookTest, SignatureIsHmacOfTimestampDotBody) {
  const std::string body = R"({"decision_id":"d"})";
  EXPECT_EQ(WebhookSignatureHeader(kSecret, 1700000000, body),
            "t=1700000000,v1=" + WebhookReceiver::Hmac(kSecret, "1700000000." + body));
  // RFC 4231 test case 2 ("Jefe"), with the payload split where the
  // timestamp ends: "<t>.<body>" is signed as one string.
  EXPECT_EQ(WebhookSignature("Jefe", 0, "what do ya want for nothing?"),
            WebhookReceiver::Hmac("Jefe", "0.what do ya want for nothing?"));
  EXPECT_EQ(WebhookReceiver::Hmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_F(WebhookTest, RetriesServerErrorsWithTheSameKeyOnTheBackoffSchedule) {
  WebhookReceiver receiver(kSecret);
  receiver.Script({WebhookReceiver::Reply(500, "oops"), WebhookReceiver::Reply(502),
                   WebhookReceiver::Reply(503), WebhookReceiver::Reply(200)});
  WebhookOptions options = Options({receiver.url()});
  options.delivery.backoff_base = milliseconds(500);
  options.delivery.backoff_max = seconds(60);
  auto queue = Make(options);
  ASSERT_TRUE(queue);
  const Notification n = TestNotification("d-retry");
  queue->Enqueue(n);

  EXPECT_EQ(queue->RunDue(), 1u);
  const microseconds first_wait = queue->NextDueIn();
  // Not due yet: nothing is attempted before its time.
  clock_.Advance(first_wait - microseconds(1));
  EXPECT_EQ(queue->RunDue(), 0u);
  clock_.Advance(microseconds(1));
  std::vector<microseconds> waits = {first_wait};
  for (const microseconds w : DeliverAll(*queue)) waits.push_back(w);

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 4u);
  ASSERT_EQ(waits.size(), 3u);
  std::int64_t clock_seconds = kStartUs / 1'000'000;
  std::int64_t elapsed_us = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(requests[i].headers.at("idempotency-key"), "d-retry");
    EXPECT_EQ(requests[i].body, NotificationJson(n));
    EXPECT_EQ(requests[i].headers.at("x-promorec-attempt"), std::to_string(i + 1));
    EXPECT_TRUE(requests[i].signature_ok) << i;
    // Signed when sent, so a receiver's replay window holds for retries.
    EXPECT_EQ(requests[i].signed_at, clock_seconds + elapsed_us / 1'000'000);
    if (i < waits.size()) {
      // Equal jitter: within [c/2, c] for c = 0.5 s * 2^i.
      const std::int64_t ceiling = 500'000LL << i;
      EXPECT_GE(waits[i].count(), ceiling / 2) << i;
      EXPECT_LE(waits[i].count(), ceiling) << i;
      elapsed_us += waits[i].count();
    }
  }
  const DeliveryStats stats = queue->stats();
  EXPECT_EQ(stats.retried, 3u);
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_TRUE(DeadLetterLines(options.delivery.dead_letter_dir).empty());
}

TEST_F(WebhookTest, SameSeedSameSchedule) {
  std::vector<std::vector<microseconds>> schedules;
  for (int run = 0; run < 2; ++run) {
    WebhookReceiver receiver(kSecret);
    receiver.Script({WebhookReceiver::Reply(500), WebhookReceiver::Reply(500),
                     WebhookReceiver::Reply(500), WebhookReceiver::Reply(200)});
    auto queue = Make(Options({receiver.url()}));
    ASSERT_TRUE(queue);
    queue->Enqueue(TestNotification("d-seed"));
    schedules.push_back(DeliverAll(*queue));
  }
  EXPECT_EQ(schedules[0].size(), 3u);
  EXPECT_EQ(schedules[0], schedules[1]);
}

TEST_F(WebhookTest, HonoursRetryAfterSecondsAndDates) {
  WebhookReceiver receiver(kSecret);
  const std::time_t later = static_cast<std::time_t>(kStartUs / 1'000'000 + 45);
  std::tm utc{};
  gmtime_r(&later, &utc);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  receiver.Script({WebhookReceiver::Reply(429, "", "Retry-After: 30\r\n"),
                   WebhookReceiver::Reply(503, "", "Retry-After: " + std::string(date) + "\r\n"),
                   WebhookReceiver::Reply(408, "", "Retry-After: 3600\r\n"),
                   WebhookReceiver::Reply(200)});
  auto queue = Make(Options({receiver.url()}));
  ASSERT_TRUE(queue);
  queue->Enqueue(TestNotification("d-later"));
  queue->RunDue();
  EXPECT_EQ(queue->NextDueIn(), seconds(30));
  clock_.Advance(seconds(30));
  queue->RunDue();
  // The date was 45 s after the start; 30 s have passed.
  EXPECT_EQ(queue->NextDueIn(), seconds(15));
  clock_.Advance(seconds(15));
  queue->RunDue();
  // An hour is more than the backoff's maximum, which caps it.
  EXPECT_EQ(queue->NextDueIn(), seconds(60));
  clock_.Advance(seconds(60));
  queue->RunDue();
  EXPECT_EQ(queue->stats().delivered, 1u);
  EXPECT_EQ(receiver.request_count(), 4u);
}

TEST_F(WebhookTest, ClientErrorIsDeadLetteredAtOnce) {
  WebhookReceiver receiver(kSecret);
  receiver.Script({WebhookReceiver::Reply(400, R"({"error":"bad"})")});
  WebhookOptions options = Options({receiver.url()});
  auto queue = Make(options);
  ASSERT_TRUE(queue);
  const Notification n = TestNotification("d-400");
  queue->Enqueue(n);
  EXPECT_EQ(queue->RunDue(), 1u);
  EXPECT_EQ(queue->NextDueIn(), microseconds(-1));
  EXPECT_EQ(receiver.request_count(), 1u);
  const DeliveryStats stats = queue->stats();
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.retried, 0u);
  EXPECT_EQ(stats.depth, 0u);

  const auto lines = DeadLetterLines(options.delivery.dead_letter_dir);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(
      lines[0],
      R"({"channel":"webhook","target":")" + receiver.url() +
          R"(","reason":"rejected","message":"POST )" + receiver.url() +
          R"(: HTTP 400: {\"error\":\"bad\"}","attempts":1,"time":"2023-11-14T22:13:20Z",)"
          R"("time_us":1700000000000000,"notification":{"decision_id":"d-400","position":"0-17",)"
          R"("order":17,"user_id":"u-42","email":"shopper@example.com","promotion_id":"p-7",)"
          R"("promotion_code":"HIKE10","product":"Wanderschuhe Alpin","time_us":1700000000123456,)"
          R"("subject":"You have a coupon!","message":"We noticed you were looking at our )"
          R"(Wanderschuhe Alpin today. We thought that a discount might make your decision )"
          R"(easier - 10% off hiking boots! Enter code HIKE10 on the checkout page."}})");
  // Named as the import's files are: <channel>-<UTC time>-<pid>.ndjson.
  EXPECT_EQ(queue->dead_letter_path(), options.delivery.dead_letter_dir +
                                           "/webhook-20231114T221320Z-" +
                                           std::to_string(::getpid()) + ".ndjson");
}

TEST_F(WebhookTest, RedirectsAndOtherClientErrorsArePermanent) {
  WebhookReceiver receiver(kSecret);
  receiver.Script({WebhookReceiver::Reply(301, "", "Location: http://elsewhere/\r\n"),
                   WebhookReceiver::Reply(404), WebhookReceiver::Reply(410)});
  auto queue = Make(Options({receiver.url()}));
  ASSERT_TRUE(queue);
  for (const char* id : {"d-a", "d-b", "d-c"}) queue->Enqueue(TestNotification(id));
  EXPECT_EQ(queue->RunDue(), 3u);
  EXPECT_EQ(queue->stats().failed, 3u);
  EXPECT_EQ(receiver.request_count(), 3u);
  const auto lines = DeadLetterLines(dir_.path() + "/deadletter");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("HTTP 301 (redirects are not followed)"), std::string::npos);
  EXPECT_NE(lines[1].find("HTTP 404\""), std::string::npos);
  EXPECT_NE(lines[2].find("HTTP 410\""), std::string::npos);
}

TEST_F(WebhookTest, DeadReceiverIsDeadLetteredAfterMaxAttemptsAndOthersStillGetIt) {
  WebhookReceiver healthy(kSecret);
  const std::string down = RefusingUrl();
  WebhookOptions options = Options({down, healthy.url()});
  options.delivery.max_attempts = 3;
  auto queue = Make(options);
  ASSERT_TRUE(queue);
  queue->Enqueue(TestNotification("d-down"));
  const auto waits = DeliverAll(*queue);
  EXPECT_EQ(waits.size(), 2u);  // between attempts 1-2 and 2-3
  EXPECT_EQ(healthy.request_count(), 1u);

  const DeliveryStats down_stats = queue->target_stats(0);
  EXPECT_EQ(down_stats.enqueued, 1u);
  EXPECT_EQ(down_stats.retried, 2u);
  EXPECT_EQ(down_stats.failed, 1u);
  EXPECT_EQ(down_stats.depth, 0u);
  EXPECT_EQ(queue->target_stats(1).delivered, 1u);

  const auto lines = DeadLetterLines(options.delivery.dead_letter_dir);
  ASSERT_EQ(lines.size(), 1u);
  const std::string& line = lines[0];
  const std::string head = R"({"channel":"webhook","target":")" + down +
                           R"(","reason":"retries_exhausted","message":"POST )" + down + ": ";
  EXPECT_EQ(line.substr(0, head.size()), head);
  EXPECT_NE(line.find("Couldn't connect to server"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(","attempts":3,)"), std::string::npos) << line;
  const std::int64_t dead_at = kStartUs + waits[0].count() + waits[1].count();
  EXPECT_NE(line.find(R"("time_us":)" + std::to_string(dead_at) +
                      R"(,"notification":{"decision_id":"d-down",)"),
            std::string::npos)
      << line;
}

TEST_F(WebhookTest, DecisionIdThatCannotBeAHeaderIsRefused) {
  WebhookReceiver receiver(kSecret);
  auto queue = Make(Options({receiver.url()}));
  ASSERT_TRUE(queue);
  queue->Enqueue(TestNotification("d-1\r\nX-Injected: yes"));
  queue->RunDue();
  EXPECT_EQ(receiver.request_count(), 0u);
  EXPECT_EQ(queue->stats().failed, 1u);
  const auto lines = DeadLetterLines(dir_.path() + "/deadletter");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("message":"decision id 'd-1??X-Injected: yes' cannot be an )"
                          R"x(Idempotency-Key (empty, or not visible ASCII)")x"),
            std::string::npos)
      << lines[0];
}

TEST_F(WebhookTest, OptionsAreChecked) {
  const auto error = [&](WebhookOptions options) {
    auto made = NewWebhookDelivery(options, clock_, base::DefaultEnv());
    return made ? std::string("ok") : made.error().message();
  };
  WebhookOptions good = Options({"https://hooks.example.com/promo"});
  EXPECT_EQ(error(good), "ok");
  WebhookOptions options = good;
  options.urls.clear();
  EXPECT_EQ(error(options), "webhooks: no URL");
  options.urls = {"ftp://files.example.com/x"};
  EXPECT_EQ(error(options),
            "webhook URL 'ftp://files.example.com/x': must be http:// or https://, "
            "not ftp://");
  options.urls = {"https://hooks.example.com/a b"};
  EXPECT_EQ(error(options),
            "webhook URL 'https://hooks.example.com/a b': contains a space or control character");
  options.urls = {"hooks.example.com/promo"};
  EXPECT_EQ(error(options).substr(0, 50), "webhook URL 'hooks.example.com/promo': not a URL (");
  options.urls = {"https://user:pw@hooks.example.com/x?key=1 "};
  EXPECT_EQ(error(options),
            "webhook URL 'https://hooks.example.com/x?...': contains a space or "
            "control character");
  options = good;
  options.secret.clear();
  EXPECT_EQ(error(options), "webhooks: no secret (receivers verify the signature with it)");
  options = good;
  options.total_timeout = milliseconds(0);
  EXPECT_EQ(error(options), "webhooks: timeouts must be positive");
  options = good;
  options.delivery.max_attempts = 0;
  EXPECT_EQ(error(options), "delivery queue for webhook: max_attempts must be at least 1");
}

TEST(RetryAfterTest, SecondsAndDates) {
  const std::int64_t now = 1'445'412'480;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 5 ", now), seconds(5));
  EXPECT_EQ(ParseRetryAfter("0", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now), seconds(86'400));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:30:00 GMT", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", now), std::nullopt);
}

}  // namespace
}  // namespace promorec::notify
