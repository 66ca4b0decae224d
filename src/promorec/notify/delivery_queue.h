// The delivery machinery that webhooks and email share: a bounded queue of
// deliveries (one notification to one target), worker threads that attempt
// them, retries on a schedule, and a dead-letter file for what could not be
// delivered.
//
// - Enqueue never waits for a receiver: it copies the notification into the
//   queue under a short lock and returns. A target that already holds
//   `capacity` deliveries (waiting, being attempted or waiting to retry)
//   drops the new one and counts it in `dropped_full`; other targets still
//   take it, so a dead receiver fills only its own share.
// - A failed attempt that may succeed later (the channel says which) is
//   scheduled again after an exponential backoff with jitter (RetryDelay),
//   or after the receiver's Retry-After when that is longer (up to
//   backoff_max). Waiting deliveries sit in a per-target heap ordered by due
//   time, not in a sleeping thread, so the workers go on with other
//   deliveries meanwhile; and at most max_in_flight_per_target attempts run
//   against one target at once, so a receiver that hangs until the timeout
//   holds only that many workers.
// - After max_attempts, or at once on a permanent failure, the delivery is
//   appended to the dead-letter file (dead_letter_log.h) and counted in
//   `failed`.
// - Stop cancels attempts in flight (the channel's senders watch the flag),
//   joins the workers and dead-letters every delivery still held, with
//   reason "shutdown": nothing enqueued is lost without a trace.
//
// Time (due times, the dead letter's time) comes from the injected Clock and
// the jitter from a seeded Rng, so retry schedules are tested on a FakeClock
// without sleeping: RunDue attempts the due deliveries on the caller's
// thread, without Start.
//
// Thread-safety: Enqueue, stats and Wake from any thread. Start once; Stop
// from one thread (the destructor stops). RunDue from one thread at a time
// and not while the workers run.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/random.h"
#include "promorec/base/status.h"
#include "promorec/notify/dead_letter_log.h"
#include "promorec/notify/notification.h"

namespace promorec::notify {

// What one attempt came to.
struct AttemptResult {
  enum class Outcome : std::uint8_t { kDelivered, kRetry, kPermanent };

  static AttemptResult Delivered() { return {Outcome::kDelivered, {}, {}}; }
  static AttemptResult Retry(std::string error,
                             std::chrono::microseconds retry_after = std::chrono::microseconds(0)) {
    return {Outcome::kRetry, std::move(error), retry_after};
  }
  static AttemptResult Permanent(std::string error) {
    return {Outcome::kPermanent, std::move(error), {}};
  }

  Outcome outcome = Outcome::kDelivered;
  // Why it failed, for the log and the dead letter: "HTTP 503 from ...".
  std::string error;
  // How long the receiver asked us to wait (Retry-After); 0 when it did not.
  std::chrono::microseconds retry_after{0};
};

// Makes attempts; one per worker thread, so it may keep connections open.
class Sender {
 public:
  virtual ~Sender() = default;
  // One attempt to deliver `notification` to the channel's target `target`;
  // `attempt` counts from 1. Should return soon after `cancel` turns true.
  // Must not throw.
  virtual AttemptResult Send(const Notification& notification, std::size_t target, int attempt,
                             const std::atomic<bool>& cancel) = 0;
};

// A kind of delivery (webhook, email) and its targets.
class Channel {
 public:
  virtual ~Channel() = default;
  // "webhook", "email": the dead letter's channel and its file name.
  virtual std::string_view name() const = 0;
  virtual std::size_t target_count() const = 0;
  // How the target appears in logs and dead letters; never a secret.
  virtual std::string TargetName(std::size_t target) const = 0;
  // Whether the notification is for this channel at all (email: it has an
  // address). Called in Enqueue: cheap, no I/O.
  virtual bool Wants(const Notification&) const { return true; }
  virtual std::unique_ptr<Sender> NewSender() = 0;
};

struct DeliveryOptions {
  // Deliveries one target holds at most (waiting, in flight, or waiting to
  // retry); more are dropped and counted.
  std::size_t capacity = 10'000;
  // Worker threads (Start).
  int workers = 4;
  // Attempts running against one target at once; 0 = all the workers when
  // there is one target, else half of them (at least one).
  int max_in_flight_per_target = 0;
  // Retry schedule: before attempt n+1 the delay is drawn from
  // [c/2, c] with c = min(backoff_max, backoff_base * 2^(n-1)).
  std::chrono::microseconds backoff_base = std::chrono::milliseconds(500);
  std::chrono::microseconds backoff_max = std::chrono::seconds(60);
  int max_attempts = 8;
  // The jitter's seed; 0 picks one at random.
  std::uint64_t seed = 0;
  // Where dead letters go (DATA_DIR/deadletter in the product). Required.
  std::string dead_letter_dir;
  // A worker waiting for a retry to fall due re-reads the clock at least
  // this often (a real clock needs no more; a test's FakeClock does).
  std::chrono::milliseconds poll = std::chrono::milliseconds(100);
};

// Totals since the queue was made. `depth` is what is held now.
struct DeliveryStats {
  std::uint64_t enqueued = 0;  // deliveries taken in (one per target)
  std::uint64_t delivered = 0;
  std::uint64_t retried = 0;             // attempts that failed and were scheduled again
  std::uint64_t failed = 0;              // deliveries dead-lettered (also at Stop)
  std::uint64_t dropped_full = 0;        // deliveries refused by a full target
  std::uint64_t dropped_stopped = 0;     // notifications enqueued after Stop
  std::uint64_t skipped = 0;             // notifications the channel does not want
  std::uint64_t dead_letter_errors = 0;  // dead letters that could not be written
  std::uint64_t depth = 0;
};

// The delay before the attempt after `failed_attempts` failures (>= 1):
// "equal jitter" on a capped exponential, so that receivers that failed
// together are not retried together, yet no delay is below half the
// schedule's.
std::chrono::microseconds RetryDelay(const DeliveryOptions& options, int failed_attempts,
                                     base::Rng& rng);

class DeliveryQueue {
 public:
  // Checks the options (capacity, workers, max_attempts >= 1, 0 <
  // backoff_base <= backoff_max, a dead-letter folder). `clock` and `env`
  // must outlive the queue.
  [[nodiscard]] static base::Result<std::unique_ptr<DeliveryQueue>> Create(
      std::unique_ptr<Channel> channel, DeliveryOptions options, const base::Clock& clock,
      base::Env& env);
  ~DeliveryQueue();
  DeliveryQueue(const DeliveryQueue&) = delete;
  DeliveryQueue& operator=(const DeliveryQueue&) = delete;

  // Starts the workers.
  void Start();

  // Queues `notification` for every target. Never blocks on a receiver.
  void Enqueue(const Notification& notification);

  // Attempts, on this thread, every delivery that is due now (by the
  // clock), including retries that fall due; returns how many attempts it
  // made. For tests and callers that drive delivery themselves.
  std::size_t RunDue();

  // Makes waiting workers re-read the clock (after a FakeClock moved).
  void Wake();

  // What Stop dead-lettered.
  struct StopReport {
    std::uint64_t dead_lettered = 0;
  };
  // Cancels attempts in flight, stops the workers and dead-letters what is
  // still held (reason "shutdown"). Later Enqueue calls are counted and
  // dropped. Idempotent.
  StopReport Stop();

  DeliveryStats stats() const;
  DeliveryStats target_stats(std::size_t target) const;
  // Time until the earliest waiting delivery falls due (0 when one is due
  // now); -1 when none is held.
  std::chrono::microseconds NextDueIn() const;
  const Channel& channel() const { return *channel_; }
  // The dead-letter file, once one was written ("" before).
  std::string dead_letter_path() const { return dead_letters_.path(); }

 private:
  struct Item {
    std::shared_ptr<const Notification> notification;
    std::int64_t due_nanos = 0;
    std::uint64_t seq = 0;
    int attempts = 0;
    std::string last_error;
  };
  struct Target {
    std::string name;
    std::vector<Item> heap;  // by (due_nanos, seq), earliest on top
    std::size_t held = 0;
    int in_flight = 0;
    DeliveryStats stats;  // depth is `held`
  };
  struct Picked {
    std::size_t target = 0;
    Item item;
  };

  DeliveryQueue(std::unique_ptr<Channel> channel, DeliveryOptions options, const base::Clock& clock,
                base::Env& env);

  // The due item with the earliest due time among targets under their
  // in-flight limit (any target when `limit` is 0); moves it out.
  bool PickLocked(std::int64_t now, int limit, Picked* picked);
  // Nanoseconds until the next item of an eligible target falls due; -1
  // when none is held.
  std::int64_t NextDueLocked(std::int64_t now, int limit) const;
  // Attempts `picked` (unlocked) and files the result (locked).
  void Attempt(Sender& sender, Picked picked);
  void WorkerLoop(int index);
  void WriteDeadLetter(std::size_t target, const Item& item, std::string_view reason, bool sync);

  const std::unique_ptr<Channel> channel_;
  const DeliveryOptions options_;
  const int in_flight_limit_;
  const base::Clock& clock_;
  DeadLetterLog dead_letters_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Target> targets_;
  base::Rng rng_;
  std::uint64_t next_seq_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  std::uint64_t skipped_ = 0;
  std::uint64_t dropped_stopped_ = 0;
  std::uint64_t dead_letter_errors_ = 0;
  std::atomic<bool> cancel_{false};
  std::vector<std::thread> workers_;
  std::unique_ptr<Sender> own_sender_;  // RunDue's
};

}  // namespace promorec::notify
