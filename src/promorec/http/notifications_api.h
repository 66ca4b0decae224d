// The live push routes (Server-Sent Events over a streamed response):
//
//   GET /v1/notifications?user=U    one shopper's notifications
//   GET /v1/admin/notifications     every shopper's (operators)
//
// Each answers 200 `text/event-stream` and stays open; every notification
// is one event: `id: <position>`, `event: notification`, `data: <JSON of
// notify::NotificationJson>`. A comment (`: ping`) goes out when nothing
// else did for `heartbeat_interval`. To resume, a client sends the id of
// the last event it got as the Last-Event-ID header (browsers' EventSource
// does this by itself on reconnect) or, for clients that cannot set
// headers, the `last_event_id` query argument; the header wins. The
// shopper route then sends every notification after it from the durable
// log, then live ones, none missing and none twice (notify/live_hub.h);
// the everyone route resumes best-effort from the hub's recent ring. A
// stream whose client does not keep up is ended; its client reconnects and
// resumes. Errors, as JSON {"error":{"code","message"}}:
//   400 invalid_request        no `user`, or one that is not a valid id
//   400 invalid_last_event_id  Last-Event-ID is not <shard>-<sequence>
//   503 too_many_streams       the hub's subscriber limit (Retry-After)
//   503 resume_failed          the durable log could not be read to resume
// Thread-safety: the handlers may run on many threads at once; the hub
// must outlive the server (stop the server first).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include "promorec/http/server.h"
#include "promorec/notify/live_hub.h"

namespace promorec::http {

struct NotificationsApiOptions {
  std::chrono::milliseconds heartbeat_interval{15000};
  // Bytes a stream holds for a client that reads slower than it is written
  // to (the hub's per-subscriber buffer, resume backlog included).
  std::size_t stream_buffer_bytes = 256 << 10;
  // The same for an operator's stream of every shopper's notifications,
  // which carries all the traffic (at 20,000 decisions/s, about 8 MB/s):
  // enough for a second of it, so that a busy moment on the server's side
  // does not cut the operator off.
  std::size_t everyone_buffer_bytes = 8 << 20;
  // Retry-After of a 503, in seconds.
  unsigned retry_after_seconds = 5;
};

class NotificationsApi {
 public:
  // `hub` must outlive the NotificationsApi and every stream it opened.
  NotificationsApi(notify::LiveHub& hub, NotificationsApiOptions options);

  // GET /v1/notifications: may wait on the durable log (resume), so it
  // belongs on a worker thread.
  Response Shopper(const Request& request) const;
  // GET /v1/admin/notifications: answers from memory; fit for the loop.
  Response Everyone(const Request& request) const;

 private:
  Response Open(notify::LiveSubscription subscription) const;

  notify::LiveHub& hub_;
  const NotificationsApiOptions options_;
};

// Wraps a handler with protections (middleware.h); empty: none.
using Protect = std::function<Handler(Handler)>;

// Adds both routes to `router`: the shopper route wrapped by `shopper`
// (say, Guard(h, limiter, api_keys, true)), the everyone route wrapped by
// `admin` (RequireAdminToken(h, admin_token): it shows every shopper's
// messages, so it must not go unprotected).
void AddNotificationRoutes(Router* router, notify::LiveHub* hub,
                           const NotificationsApiOptions& options, const Protect& shopper,
                           const Protect& admin);

}  // namespace promorec::http
