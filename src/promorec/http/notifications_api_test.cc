#include "promorec/http/notifications_api.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "promorec/http/stream_client_test_util.h"
#include "promorec/notify/live_position.h"

namespace promorec::http {
namespace {

using notify::LiveHub;
using notify::LivePosition;
using notify::Notification;

Notification Make(const std::string& user, std::uint64_t sequence, std::uint64_t order) {
  Notification n;
  n.decision_id = "d-" + std::to_string(sequence);
  n.position = "2-" + std::to_string(sequence);
  n.order = order;
  n.user_id = user;
  n.promotion_id = "p7";
  n.promotion_code = "SAVE10";
  n.subject = "For you";
  n.message = "10% off, " + user;
  n.time_us = 1700000000000000;
  return n;
}

// The durable `impressions` log as the backfill reads it: every published
// notification is appended first.
class Log {
 public:
  void Append(const Notification& n) {
    const std::lock_guard lock(mutex_);
    records_.push_back(n);
  }
  notify::Backfill MakeBackfill() {
    return
        [this](std::string_view user, const LivePosition& after, const notify::BackfillEmit& emit) {
          std::vector<Notification> copy;
          {
            const std::lock_guard lock(mutex_);
            copy = records_;
          }
          for (const Notification& n : copy) {
            if (n.user_id == user && !AtOrBefore(*notify::ParseLivePosition(n.position), after) &&
                !emit(n)) {
              break;
            }
          }
          return base::OkStatus();
        };
  }

 private:
  std::mutex mutex_;
  std::vector<Notification> records_;
};

struct Event {
  std::string id;
  std::string event;
  std::string data;
};

// The events in an SSE body (comments skipped); `rest` gets any partial
// event at the end.
std::vector<Event> ParseEvents(const std::string& body) {
  std::vector<Event> events;
  std::size_t at = 0;
  while (true) {
    const std::size_t end = body.find("\n\n", at);
    if (end == std::string::npos) break;
    Event e;
    bool any = false;
    std::size_t line_start = at;
    while (line_start < end) {
      std::size_t line_end = body.find('\n', line_start);
      if (line_end == std::string::npos || line_end > end) line_end = end;
      const std::string line = body.substr(line_start, line_end - line_start);
      line_start = line_end + 1;
      if (line.starts_with(":")) continue;
      const std::size_t colon = line.find(": ");
      const std::string field = line.substr(0, colon);
      const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
      any = true;
      if (field == "id") e.id = value;
      if (field == "event") e.event = value;
      if (field == "data") e.data += value;
    }
    if (any) events.push_back(e);
    at = end + 2;
  }
  return events;
}

std::vector<std::string> Ids(const std::vector<Event>& events) {
  std::vector<std::string> ids;
  for (const Event& e : events) ids.push_back(e.id);
  return ids;
}

// Reads from `client` until it holds `count` events.
std::vector<Event> ReadEvents(StreamClient& client, std::size_t count) {
  return ParseEvents(client.ReadUntil(
      [count](const std::string& body) { return ParseEvents(body).size() >= count; }));
}

class NotificationsServer {
 public:
  explicit NotificationsServer(notify::LiveHubOptions hub_options = {})
      : hub_(hub_options, log_.MakeBackfill()) {
    Router router;
    AddNotificationRoutes(&router, &hub_, NotificationsApiOptions{}, nullptr, nullptr);
    ServerOptions options;
    options.port = 0;
    options.threads = 1;
    auto server = Server::Start(options, std::move(router));
    EXPECT_TRUE(server) << server.error().ToString();
    if (server) server_ = std::move(*server);
  }
  ~NotificationsServer() {
    if (server_) server_->Stop();  // before the hub goes
  }

  std::uint16_t port() const { return server_->port(); }
  LiveHub& hub() { return hub_; }
  // As the pipeline does: durable first, then live.
  void Publish(const Notification& n) {
    log_.Append(n);
    hub_.Publish(n);
  }
  // Waits (bounded) for the hub to have `n` subscribers.
  bool WaitSubscribers(std::uint64_t n) {
    for (int i = 0; i < 1000; ++i) {
      if (hub_.counters().subscribers == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  Log log_;
  LiveHub hub_;
  std::unique_ptr<Server> server_;
};

TEST(NotificationsApiTest, AShopperGetsItsEventsLiveAndResumesAfterTheLastOneItGot) {
  NotificationsServer server;
  auto client = std::make_unique<StreamClient>(server.port());
  client->Get("/v1/notifications?user=ann");
  const std::string head = client->Head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  // The handler subscribed before the head went out.
  EXPECT_EQ(server.hub().counters().subscribers, 1u);

  server.Publish(Make("ann", 1, 1));
  server.Publish(Make("bob", 2, 1));
  server.Publish(Make("ann", 3, 2));
  server.Publish(Make("ann", 4, 3));
  std::vector<Event> events = ReadEvents(*client, 3);
  ASSERT_EQ(Ids(events), (std::vector<std::string>{"2-1", "2-3", "2-4"}));
  EXPECT_EQ(events[0].event, "notification");
  EXPECT_EQ(events[0].data, notify::NotificationJson(Make("ann", 1, 1)));

  // The client drops after 2-3 (say its last event was lost in transit);
  // the hub lets go of it.
  client.reset();
  ASSERT_TRUE(server.WaitSubscribers(0));
  server.Publish(Make("ann", 5, 4));
  server.Publish(Make("bob", 6, 2));

  StreamClient again(server.port());
  again.Get("/v1/notifications?user=ann", "Last-Event-ID: 2-3\r\n");
  EXPECT_TRUE(again.Head().starts_with("HTTP/1.1 200 OK\r\n"));
  server.Publish(Make("ann", 7, 5));
  events = ReadEvents(again, 3);
  EXPECT_EQ(Ids(events), (std::vector<std::string>{"2-4", "2-5", "2-7"}));
  EXPECT_EQ(server.hub().counters().backfilled, 2u);

  // The query argument works for clients that cannot set the header.
  StreamClient polyfill(server.port());
  polyfill.Get("/v1/notifications?user=ann&last_event_id=2-5");
  EXPECT_TRUE(polyfill.Head().starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Ids(ReadEvents(polyfill, 1)), std::vector<std::string>{"2-7"});
}

TEST(NotificationsApiTest, TheEveryoneStreamCarriesAllShoppers) {
  NotificationsServer server;
  StreamClient admin(server.port());
  admin.Get("/v1/admin/notifications");
  EXPECT_TRUE(admin.Head().starts_with("HTTP/1.1 200 OK\r\n"));
  server.Publish(Make("ann", 1, 1));
  server.Publish(Make("bob", 2, 1));
  const std::vector<Event> events = ReadEvents(admin, 2);
  EXPECT_EQ(Ids(events), (std::vector<std::string>{"2-1", "2-2"}));
  EXPECT_NE(events[1].data.find("\"user_id\":\"bob\""), std::string::npos);
  // Resuming from the ring.
  StreamClient later(server.port());
  later.Get("/v1/admin/notifications", "Last-Event-ID: 2-1\r\n");
  EXPECT_TRUE(later.Head().starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(Ids(ReadEvents(later, 1)), std::vector<std::string>{"2-2"});
}

std::string ErrorOf(const Response& r) { return std::to_string(r.status) + " " + r.body; }

TEST(NotificationsApiTest, BadRequestsGetJsonErrors) {
  LiveHub hub(notify::LiveHubOptions{}, nullptr);
  const NotificationsApi api(hub, NotificationsApiOptions{});
  Request r;
  r.method = "GET";
  r.path = "/v1/notifications";
  EXPECT_EQ(ErrorOf(api.Shopper(r)),
            "400 {\"error\":{\"code\":\"invalid_request\",\"message\":\"user is required "
            "(?user=...)\"}}\n");
  r.query["user"] = std::string(300, 'u');
  EXPECT_EQ(api.Shopper(r).status, 400);
  r.query["user"] = "ann";
  r.headers["last-event-id"] = "2-03";
  EXPECT_EQ(ErrorOf(api.Shopper(r)),
            "400 {\"error\":{\"code\":\"invalid_last_event_id\",\"message\":\"event id '2-03' "
            "has a number with a leading zero\"}}\n");
  r.headers.erase("last-event-id");
  r.query["last_event_id"] = "x";
  EXPECT_EQ(api.Shopper(r).status, 400);
  EXPECT_EQ(api.Everyone(r).status, 400);
  EXPECT_EQ(hub.counters().subscribers, 0u);
  // An empty Last-Event-ID means no resume (EventSource sends it so).
  r.query.erase("last_event_id");
  r.headers["last-event-id"] = "";
  const Response ok = api.Shopper(r);
  EXPECT_EQ(ok.status, 200);
  ASSERT_NE(ok.stream, nullptr);
}

TEST(NotificationsApiTest, PastTheSubscriberLimitStreamsAre503) {
  notify::LiveHubOptions options;
  options.max_subscribers = 1;
  NotificationsServer server(options);
  StreamClient first(server.port());
  first.Get("/v1/notifications?user=ann");
  EXPECT_TRUE(first.Head().starts_with("HTTP/1.1 200 OK\r\n"));
  StreamClient second(server.port());
  second.Get("/v1/admin/notifications");
  const std::string head = second.Head();
  EXPECT_TRUE(head.starts_with("HTTP/1.1 503 ")) << head;
  EXPECT_NE(head.find("Retry-After: 5"), std::string::npos) << head;
  EXPECT_EQ(server.hub().counters().rejected, 1u);
}

TEST(NotificationsApiTest, AFailedResumeIs503) {
  LiveHub hub(notify::LiveHubOptions{},
              [](std::string_view, const LivePosition&, const notify::BackfillEmit&) {
                return base::Status(base::IoError("read impressions: gone"));
              });
  const NotificationsApi api(hub, NotificationsApiOptions{});
  Request r;
  r.query["user"] = "ann";
  r.headers["last-event-id"] = "1-1";
  const Response answer = api.Shopper(r);
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.body.find("\"code\":\"resume_failed\""), std::string::npos) << answer.body;
  EXPECT_EQ(answer.stream, nullptr);
}

}  // namespace
}  // namespace promorec::http
