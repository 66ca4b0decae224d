// Live push: fans each Notification out, as a Server-Sent Events frame, to
// the open live streams of its shopper and to every all-shoppers (operator)
// stream, and lets a client that reconnects resume after the last event it
// got with nothing missing and nothing twice.
//
// Frames: "id: <position>\nevent: notification\ndata: <NotificationJson>\n\n".
// A subscriber is a LiveSink: a bounded, non-blocking buffer in front of its
// connection (the HTTP response stream). The hub never waits on one: when a
// sink refuses a frame because it is full, the hub closes it and forgets
// the subscriber (counted in `disconnected_slow`, the frame in `dropped`);
// its client reconnects with Last-Event-ID and resumes, so it loses nothing.
//
// Resume, one shopper: the durable log is the truth, read through the
// Backfill the caller gives. Subscribe registers the subscriber first, with
// live frames held back in a bounded queue, then runs the backfill (which
// emits every notification after the resume position that the log holds),
// then releases the queued frames whose `order` is above the last
// backfilled one. A notification is in the log before it is published, so
// each one either reached the log before the backfill read it, or was
// published after the subscriber was registered (or both, and the order
// check drops the second copy): no gap, no duplicate. `order` 0 means
// unknown: such a frame is always delivered and cannot be de-duplicated.
// Live frames at or below the highest order a subscriber got are dropped as
// repeats (the pipeline may publish again after a restart).
//
// Resume, all shoppers (and one shopper when no Backfill is given):
// best-effort from a bounded ring of the most recent notifications. When
// the resume id is in the ring, everything after it is replayed; when it
// is not (it fell out of the ring, or the server restarted), every ring
// entry not known to be at or before it (same shard, lower or equal
// sequence) is: older notifications are lost and entries of other shards
// may repeat.
//
// Costs: Publish takes the hub's lock, looks the shopper up in a hash map,
// formats the frame once and copies it into each matching sink and into the
// ring (whose slots keep their buffers). With no subscriber and the ring
// off it only looks up. A batch takes the lock once and wakes each sink's
// reader once (LiveSink::WriteDeferred, Wake).
//
// Thread-safety: every member may be called from any thread. Sinks are
// written and closed under the hub's lock: LiveSink calls must not block
// and must not call back into the hub. The hub must outlive the callers of
// Unsubscribe (stop the HTTP server before destroying it).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/notify/live_position.h"
#include "promorec/notify/notification.h"

namespace promorec::notify {

// Where a subscriber's frames go.
class LiveSink {
 public:
  virtual ~LiveSink() = default;
  // Copies `frame` without blocking; false when it cannot take it now
  // (full) or has ended.
  [[nodiscard]] virtual bool Write(std::string_view frame) = 0;
  // Write without waking the reader yet: Wake follows once the batch is
  // written, so that a batch costs the reader one wake-up, not one per
  // frame. By default both are plain Write.
  [[nodiscard]] virtual bool WriteDeferred(std::string_view frame) { return Write(frame); }
  virtual void Wake() {}
  // Ends the sink after what it holds is delivered.
  virtual void Close() = 0;
  // Whether the sink has ended (its client left) or was closed.
  virtual bool closed() const = 0;
};

// Emits one notification of a backfill; false asks the backfill to stop.
using BackfillEmit = std::function<bool(const Notification&)>;
// Emits, in log order, `user_id`'s notifications after `after` that the
// durable log holds (from its oldest when it no longer holds `after`).
// An error fails the Subscribe that ran it. Runs on the subscriber's
// thread, without the hub's lock.
using Backfill = std::function<base::Status(std::string_view user_id, const LivePosition& after,
                                            const BackfillEmit& emit)>;

struct LiveHubOptions {
  // Subscribers at once (both kinds); past it Subscribe fails with
  // kUnavailable.
  std::size_t max_subscribers = 10000;
  // Live frames held per subscriber while its backfill runs; past it the
  // subscriber is disconnected as slow.
  std::size_t max_pending = 1024;
  // Notifications kept for best-effort resume (0: none).
  std::size_t recent = 4096;
};

// For /metrics. All counters count since the hub was made.
struct LiveHubCounters {
  std::uint64_t published = 0;          // Publish calls
  std::uint64_t delivered = 0;          // frames a sink took (all three kinds)
  std::uint64_t backfilled = 0;         // of those, from a backfill
  std::uint64_t replayed = 0;           // of those, from the ring
  std::uint64_t dropped = 0;            // frames a sink refused (full)
  std::uint64_t disconnected_slow = 0;  // subscribers closed for falling behind
  std::uint64_t rejected = 0;           // subscriptions refused (too many)
  std::uint64_t subscribers = 0;        // gauge: subscribers now
};

struct LiveSubscription {
  // The shopper; empty: every shopper's notifications (operators).
  std::string user_id;
  // Resume after this position (the client's Last-Event-ID); none: live
  // notifications only.
  std::optional<LivePosition> after;
};

class LiveHub {
 public:
  // `backfill` may be empty: then one shopper resumes from the ring too.
  LiveHub(LiveHubOptions options, Backfill backfill);
  ~LiveHub();
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  void Publish(const Notification& notification);
  // Publishes each in order; every sink is woken once, after the batch.
  void Publish(std::span<const Notification> batch);

  // Registers `sink` for `subscription` and writes the resume frames into
  // it before returning; live frames follow as they are published. The
  // id is for Unsubscribe. Errors: kUnavailable at max_subscribers; the
  // backfill's error (with context) when it fails. A sink that fills
  // during the backfill is closed with what it took (its client resumes
  // from there) and the id is returned all the same.
  [[nodiscard]] base::Result<std::uint64_t> Subscribe(const LiveSubscription& subscription,
                                                      std::shared_ptr<LiveSink> sink);
  // Whether `error`, from Subscribe, is the subscriber limit (rather than
  // a backfill's failure, which may carry any code).
  static bool IsSubscriberLimit(const base::Error& error);
  // Forgets the subscriber (its client left); unknown ids are ignored.
  void Unsubscribe(std::uint64_t id);

  LiveHubCounters counters() const;

 private:
  struct Subscriber;
  struct Recent;
  struct Pending;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Removed = std::vector<std::unique_ptr<Subscriber>>;

  // Writes `frame` to `s`; false, marking `s` dead (and slow when its sink
  // is full rather than gone), when the sink refuses. Under mutex_; the
  // caller removes dead subscribers.
  bool Deliver(Subscriber& s, std::string_view frame, bool deferred = false);
  // Publish of one notification, under the lock; subscribers written go
  // to `wake` (once each).
  void PublishLocked(const Notification& n, Removed* removed, std::vector<Subscriber*>* wake);
  void Remove(std::uint64_t id, Removed* removed);
  // The frames of the ring a subscription resumes with. Under mutex_.
  void Replay(Subscriber& s, const LivePosition& after, Removed* removed);
  // Finishes a subscriber's backfill: releases its queued frames.
  void ReleasePending(Subscriber& s, std::optional<std::uint64_t> last_order,
                      const LivePosition& after, Removed* removed);
  static void Dispose(Removed removed);

  const LiveHubOptions options_;
  const Backfill backfill_;

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Subscriber>> subscribers_;
  std::unordered_map<std::string, std::vector<Subscriber*>, StringHash, std::equal_to<>> by_user_;
  std::vector<Subscriber*> everyone_;
  std::string frame_;            // Publish's frame, reused
  std::vector<Recent> recent_;   // ring of the newest notifications
  std::size_t recent_next_ = 0;  // slot the next one goes to
  std::size_t recent_size_ = 0;

  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> backfilled_{0};
  std::atomic<std::uint64_t> replayed_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> disconnected_slow_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> subscribers_gauge_{0};
};

// The SSE frame of `notification`, appended to `out`.
void AppendLiveFrame(const Notification& notification, std::string* out);

}  // namespace promorec::notify
