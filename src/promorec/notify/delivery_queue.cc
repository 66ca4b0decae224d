#include "promorec/notify/delivery_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <random>
#include <utility>

#include "promorec/base/thread_name.h"
#include "promorec/notify/curl_easy.h"

namespace promorec::notify {
namespace {

// Heap order: the earliest due time on top; among equals, the first queued.
struct Later {
  template <typename Item>
  bool operator()(const Item& a, const Item& b) const {
    return a.due_nanos != b.due_nanos ? a.due_nanos > b.due_nanos : a.seq > b.seq;
  }
};

std::uint64_t PickSeed(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

int InFlightLimit(const DeliveryOptions& options, std::size_t targets) {
  if (options.max_in_flight_per_target > 0) return options.max_in_flight_per_target;
  if (targets == 1) return options.workers;
  return std::max(1, options.workers / 2);
}

}  // namespace

std::chrono::microseconds RetryDelay(const DeliveryOptions& options, int failed_attempts,
                                     base::Rng& rng) {
  const std::int64_t base_us = options.backoff_base.count();
  const std::int64_t max_us = options.backoff_max.count();
  std::int64_t ceiling = base_us;
  for (int i = 1; i < failed_attempts && ceiling < max_us; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_us);
  const std::int64_t half = ceiling / 2;
  const auto jitter =
      static_cast<std::int64_t>(rng.Uniform() * static_cast<double>(ceiling - half));
  return std::chrono::microseconds(half + jitter);
}

base::Result<std::unique_ptr<DeliveryQueue>> DeliveryQueue::Create(std::unique_ptr<Channel> channel,
                                                                   DeliveryOptions options,
                                                                   const base::Clock& clock,
                                                                   base::Env& env) {
  if (channel == nullptr) return base::InvalidArgument("delivery queue: no channel");
  const std::string what = "delivery queue for " + std::string(channel->name()) + ": ";
  if (channel->target_count() == 0) return base::InvalidArgument(what + "no targets");
  if (options.capacity == 0) return base::InvalidArgument(what + "capacity must be at least 1");
  if (options.workers < 1) return base::InvalidArgument(what + "workers must be at least 1");
  if (options.max_in_flight_per_target < 0) {
    return base::InvalidArgument(what + "max_in_flight_per_target must not be negative");
  }
  if (options.max_attempts < 1) {
    return base::InvalidArgument(what + "max_attempts must be at least 1");
  }
  if (options.backoff_base.count() <= 0 || options.backoff_max < options.backoff_base) {
    return base::InvalidArgument(what + "backoff must satisfy 0 < base (" +
                                 std::to_string(options.backoff_base.count()) + " us) <= max (" +
                                 std::to_string(options.backoff_max.count()) + " us)");
  }
  if (options.poll.count() <= 0) return base::InvalidArgument(what + "poll must be positive");
  if (options.dead_letter_dir.empty()) {
    return base::InvalidArgument(what + "no dead-letter folder");
  }
  return std::unique_ptr<DeliveryQueue>(
      new DeliveryQueue(std::move(channel), std::move(options), clock, env));
}

DeliveryQueue::DeliveryQueue(std::unique_ptr<Channel> channel, DeliveryOptions options,
                             const base::Clock& clock, base::Env& env)
    : channel_(std::move(channel)),
      options_(std::move(options)),
      in_flight_limit_(InFlightLimit(options_, channel_->target_count())),
      clock_(clock),
      dead_letters_(env, clock, options_.dead_letter_dir, std::string(channel_->name())),
      rng_(PickSeed(options_.seed)) {
  targets_.resize(channel_->target_count());
  for (std::size_t i = 0; i < targets_.size(); ++i) targets_[i].name = channel_->TargetName(i);
}

DeliveryQueue::~DeliveryQueue() { Stop(); }

void DeliveryQueue::Start() {
  const std::lock_guard lock(mu_);
  if (!workers_.empty() || stopping_) return;
  for (int i = 0; i < options_.workers; ++i) {
    workers_.emplace_back([this, i] {
      base::SetThreadName("deliver");
      WorkerLoop(i);
    });
  }
}

void DeliveryQueue::Enqueue(const Notification& notification) {
  if (!channel_->Wants(notification)) {
    const std::lock_guard lock(mu_);
    ++skipped_;
    return;
  }
  // The copy is made before the lock, so the lock covers bookkeeping only.
  auto shared = std::make_shared<const Notification>(notification);
  bool queued = false;
  {
    const std::lock_guard lock(mu_);
    if (stopping_) {
      ++dropped_stopped_;
      return;
    }
    const std::int64_t now = clock_.MonotonicNanos();
    for (Target& target : targets_) {
      if (target.held >= options_.capacity) {
        ++target.stats.dropped_full;
        continue;
      }
      target.heap.push_back(Item{shared, now, next_seq_++, 0, {}});
      std::push_heap(target.heap.begin(), target.heap.end(), Later{});
      ++target.held;
      ++target.stats.enqueued;
      queued = true;
    }
  }
  if (queued) {
    if (targets_.size() == 1) {
      cv_.notify_one();
    } else {
      cv_.notify_all();
    }
  }
}

bool DeliveryQueue::PickLocked(std::int64_t now, int limit, Picked* picked) {
  Target* best = nullptr;
  std::size_t best_index = 0;
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    Target& target = targets_[i];
    if (target.heap.empty() || target.heap.front().due_nanos > now) continue;
    if (limit > 0 && target.in_flight >= limit) continue;
    if (best == nullptr || Later{}(best->heap.front(), target.heap.front())) {
      best = &target;
      best_index = i;
    }
  }
  if (best == nullptr) return false;
  std::pop_heap(best->heap.begin(), best->heap.end(), Later{});
  picked->target = best_index;
  picked->item = std::move(best->heap.back());
  best->heap.pop_back();
  ++best->in_flight;
  return true;
}

std::int64_t DeliveryQueue::NextDueLocked(std::int64_t now, int limit) const {
  std::int64_t next = -1;
  for (const Target& target : targets_) {
    if (target.heap.empty()) continue;
    if (limit > 0 && target.in_flight >= limit) continue;
    const std::int64_t in = std::max<std::int64_t>(0, target.heap.front().due_nanos - now);
    if (next < 0 || in < next) next = in;
  }
  return next;
}

void DeliveryQueue::Attempt(Sender& sender, Picked picked) {
  Item& item = picked.item;
  const int attempt = item.attempts + 1;
  AttemptResult result;
  try {
    result = sender.Send(*item.notification, picked.target, attempt, cancel_);
  } catch (const std::exception& e) {
    result = AttemptResult::Retry(std::string("unexpected error: ") + e.what());
  } catch (...) {
    result = AttemptResult::Retry("unexpected error");
  }
  item.attempts = attempt;
  std::string_view dead_reason;
  {
    const std::lock_guard lock(mu_);
    Target& target = targets_[picked.target];
    --target.in_flight;
    switch (result.outcome) {
      case AttemptResult::Outcome::kDelivered:
        --target.held;
        ++target.stats.delivered;
        break;
      case AttemptResult::Outcome::kRetry:
        item.last_error = std::move(result.error);
        if (attempt >= options_.max_attempts) {
          dead_reason = kReasonRetriesExhausted;
        } else if (stopping_) {
          // Stop dead-letters it with the rest of what is held.
          target.heap.push_back(std::move(item));
          std::push_heap(target.heap.begin(), target.heap.end(), Later{});
        } else {
          auto delay = RetryDelay(options_, attempt, rng_);
          delay = std::max(delay, std::min(result.retry_after, options_.backoff_max));
          item.due_nanos = clock_.MonotonicNanos() + delay.count() * 1000;
          ++target.stats.retried;
          target.heap.push_back(std::move(item));
          std::push_heap(target.heap.begin(), target.heap.end(), Later{});
        }
        break;
      case AttemptResult::Outcome::kPermanent:
        item.last_error = std::move(result.error);
        dead_reason = kReasonRejected;
        break;
    }
    if (!dead_reason.empty()) {
      --target.held;
      ++target.stats.failed;
    }
  }
  // A slot of this target is free again, or a retry was scheduled.
  cv_.notify_one();
  if (!dead_reason.empty()) WriteDeadLetter(picked.target, item, dead_reason, true);
}

void DeliveryQueue::WriteDeadLetter(std::size_t target, const Item& item, std::string_view reason,
                                    bool sync) {
  const std::string& target_name = targets_[target].name;
  const std::string id = Excerpt(item.notification->decision_id, 128);
  spdlog::warn("{} to {}: decision {} not delivered ({}, {} attempts): {}", channel_->name(),
               target_name, id, reason, item.attempts, Excerpt(item.last_error, 1024));
  DeadLetter letter;
  letter.channel = channel_->name();
  letter.target = target_name;
  letter.reason = reason;
  letter.message = item.last_error;
  letter.attempts = item.attempts;
  letter.time_us = clock_.NowMicros();
  letter.notification = item.notification.get();
  if (auto written = dead_letters_.Put(letter, sync); !written) {
    spdlog::error("{} to {}: decision {} lost: {}", channel_->name(), target_name, id,
                  written.error().ToString());
    const std::lock_guard lock(mu_);
    ++dead_letter_errors_;
  }
}

void DeliveryQueue::WorkerLoop(int index) {
  std::unique_ptr<Sender> sender;
  try {
    sender = channel_->NewSender();
  } catch (const std::exception& e) {
    spdlog::error("{} worker {}: cannot start: {}", channel_->name(), index, e.what());
    return;
  }
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const std::int64_t now = clock_.MonotonicNanos();
    Picked picked;
    if (PickLocked(now, in_flight_limit_, &picked)) {
      lock.unlock();
      Attempt(*sender, std::move(picked));
      lock.lock();
      continue;
    }
    const std::int64_t next = NextDueLocked(now, in_flight_limit_);
    if (next < 0) {
      cv_.wait(lock);
    } else {
      const auto poll = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.poll);
      cv_.wait_for(lock, std::min(std::chrono::nanoseconds(next), poll));
    }
  }
}

std::size_t DeliveryQueue::RunDue() {
  if (!own_sender_) own_sender_ = channel_->NewSender();
  std::size_t attempts = 0;
  while (true) {
    Picked picked;
    {
      const std::lock_guard lock(mu_);
      if (stopping_ || !PickLocked(clock_.MonotonicNanos(), 0, &picked)) break;
    }
    Attempt(*own_sender_, std::move(picked));
    ++attempts;
  }
  return attempts;
}

void DeliveryQueue::Wake() { cv_.notify_all(); }

DeliveryQueue::StopReport DeliveryQueue::Stop() {
  {
    const std::lock_guard lock(mu_);
    if (stopped_) return {};
    stopping_ = true;
  }
  cancel_.store(true);
  cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  std::vector<Picked> left;
  {
    const std::lock_guard lock(mu_);
    stopped_ = true;
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      Target& target = targets_[i];
      for (Item& item : target.heap) left.push_back(Picked{i, std::move(item)});
      target.stats.failed += target.heap.size();
      target.held -= target.heap.size();
      target.heap.clear();
    }
  }
  // Oldest first, so the file reads in the order things were queued.
  std::sort(left.begin(), left.end(),
            [](const Picked& a, const Picked& b) { return a.item.seq < b.item.seq; });
  for (Picked& picked : left) {
    if (picked.item.attempts == 0) {
      picked.item.last_error = "not attempted before shutdown";
    } else {
      picked.item.last_error = "shutdown after " + std::to_string(picked.item.attempts) +
                               " attempts; last error: " + picked.item.last_error;
    }
    WriteDeadLetter(picked.target, picked.item, kReasonShutdown, false);
  }
  if (!left.empty()) {
    if (auto synced = dead_letters_.Sync(); !synced) {
      spdlog::error("{}: {}", channel_->name(), synced.error().ToString());
    }
  }
  return StopReport{left.size()};
}

DeliveryStats DeliveryQueue::target_stats(std::size_t target) const {
  const std::lock_guard lock(mu_);
  DeliveryStats stats = targets_.at(target).stats;
  stats.depth = targets_[target].held;
  return stats;
}

DeliveryStats DeliveryQueue::stats() const {
  const std::lock_guard lock(mu_);
  DeliveryStats total;
  for (const Target& target : targets_) {
    total.enqueued += target.stats.enqueued;
    total.delivered += target.stats.delivered;
    total.retried += target.stats.retried;
    total.failed += target.stats.failed;
    total.dropped_full += target.stats.dropped_full;
    total.depth += target.held;
  }
  total.skipped = skipped_;
  total.dropped_stopped = dropped_stopped_;
  total.dead_letter_errors = dead_letter_errors_;
  return total;
}

std::chrono::microseconds DeliveryQueue::NextDueIn() const {
  const std::lock_guard lock(mu_);
  const std::int64_t next = NextDueLocked(clock_.MonotonicNanos(), 0);
  return std::chrono::microseconds(next < 0 ? -1 : (next + 999) / 1000);
}

}  // namespace promorec::notify
