#include "promorec/notify/live_hub.h"

#include <algorithm>
#include <utility>

namespace promorec::notify {

struct LiveHub::Recent {
  std::string user_id;
  std::uint64_t order = 0;
  std::optional<LivePosition> position;
  std::string frame;
};

struct LiveHub::Pending {
  std::uint64_t order = 0;
  std::optional<LivePosition> position;
  std::string frame;
};

struct LiveHub::Subscriber {
  std::uint64_t id = 0;
  std::string user_id;  // empty: everyone
  std::shared_ptr<LiveSink> sink;
  // Live frames wait in `pending` while the backfill runs.
  bool backfilling = false;
  std::deque<Pending> pending;
  // The highest order delivered (one shopper); repeats at or below it are
  // dropped.
  std::optional<std::uint64_t> last_order;
  // The resume position, for dropping repeats while no order is known.
  std::optional<LivePosition> after;
  bool to_wake = false;  // written without a wake-up in the current batch
  bool dead = false;     // a write failed; removed after the current pass
  bool slow = false;     // ... because the sink was full: close it
};

namespace {

constexpr std::string_view kLimitMessage = "live push is at its limit of ";

std::optional<LivePosition> PositionOf(const Notification& n) {
  auto parsed = ParseLivePosition(n.position);
  return parsed ? std::optional<LivePosition>(*parsed) : std::nullopt;
}

// Whether a frame is a repeat for a subscriber that got up to `last_order`
// (or, with no order known, resumed after `after`).
bool Repeat(std::uint64_t order, const std::optional<LivePosition>& position,
            const std::optional<std::uint64_t>& last_order,
            const std::optional<LivePosition>& after) {
  if (last_order) return order != 0 && order <= *last_order;
  return position && after && AtOrBefore(*position, *after);
}

}  // namespace

void AppendLiveFrame(const Notification& notification, std::string* out) {
  // A line break would end the field early; such an id is left out (the
  // client keeps its previous one) rather than sent broken.
  if (!notification.position.empty() &&
      notification.position.find_first_of("\r\n") == std::string::npos) {
    out->append("id: ").append(notification.position).push_back('\n');
  }
  out->append("event: notification\ndata: ");
  out->append(NotificationJson(notification));  // JSON escapes line breaks
  out->append("\n\n");
}

LiveHub::LiveHub(LiveHubOptions options, Backfill backfill)
    : options_(options), backfill_(std::move(backfill)) {
  recent_.resize(options_.recent);
}

LiveHub::~LiveHub() {
  for (auto& [id, s] : subscribers_) s->sink->Close();
}

void LiveHub::Publish(const Notification& n) { Publish(std::span<const Notification>(&n, 1)); }

void LiveHub::Publish(std::span<const Notification> batch) {
  published_.fetch_add(batch.size(), std::memory_order_relaxed);
  Removed removed;
  {
    const std::lock_guard lock(mutex_);
    std::vector<Subscriber*> wake;
    for (const Notification& n : batch) PublishLocked(n, &removed, &wake);
    // Removed subscribers are alive until Dispose.
    for (Subscriber* s : wake) {
      s->to_wake = false;
      if (!s->dead) s->sink->Wake();
    }
  }
  Dispose(std::move(removed));
}

void LiveHub::PublishLocked(const Notification& n, Removed* removed,
                            std::vector<Subscriber*>* wake) {
  const auto found = by_user_.find(std::string_view(n.user_id));
  const bool mine = found != by_user_.end();
  if (!mine && everyone_.empty() && recent_.empty()) return;
  frame_.clear();
  AppendLiveFrame(n, &frame_);
  const std::optional<LivePosition> position = PositionOf(n);
  const auto deliver = [&](Subscriber& s) {
    if (!Deliver(s, frame_, /*deferred=*/true)) return false;
    if (!s.to_wake) {
      s.to_wake = true;
      wake->push_back(&s);
    }
    return true;
  };
  bool failed = false;
  if (mine) {
    for (Subscriber* s : found->second) {
      if (s->backfilling) {
        if (s->pending.size() < options_.max_pending) {
          s->pending.push_back(Pending{n.order, position, frame_});
        } else {
          dropped_.fetch_add(1, std::memory_order_relaxed);
          s->dead = s->slow = failed = true;
        }
        continue;
      }
      if (Repeat(n.order, position, s->last_order, s->after)) continue;
      if (deliver(*s)) {
        if (n.order != 0) s->last_order = n.order;
      } else {
        failed = true;
      }
    }
  }
  for (Subscriber* s : everyone_) failed = !deliver(*s) || failed;
  if (failed) {
    std::vector<std::uint64_t> dead;
    if (mine) {
      for (const Subscriber* s : found->second) {
        if (s->dead) dead.push_back(s->id);
      }
    }
    for (const Subscriber* s : everyone_) {
      if (s->dead) dead.push_back(s->id);
    }
    for (const std::uint64_t id : dead) Remove(id, removed);
  }
  if (!recent_.empty()) {
    Recent& slot = recent_[recent_next_];
    slot.user_id.assign(n.user_id);
    slot.order = n.order;
    slot.position = position;
    slot.frame.assign(frame_);
    recent_next_ = (recent_next_ + 1) % recent_.size();
    recent_size_ = std::min(recent_size_ + 1, recent_.size());
  }
}

bool LiveHub::Deliver(Subscriber& s, std::string_view frame, bool deferred) {
  if (s.dead) return false;
  if (deferred ? s.sink->WriteDeferred(frame) : s.sink->Write(frame)) {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  s.dead = true;
  if (!s.sink->closed()) {  // full, not gone: the client is too slow
    s.slow = true;
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  return false;
}

void LiveHub::Remove(std::uint64_t id, Removed* removed) {
  const auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return;
  Subscriber* s = it->second.get();
  if (s->user_id.empty()) {
    std::erase(everyone_, s);
  } else if (const auto user = by_user_.find(std::string_view(s->user_id));
             user != by_user_.end()) {
    std::erase(user->second, s);
    if (user->second.empty()) by_user_.erase(user);
  }
  if (s->slow) disconnected_slow_.fetch_add(1, std::memory_order_relaxed);
  removed->push_back(std::move(it->second));
  subscribers_.erase(it);
  subscribers_gauge_.fetch_sub(1, std::memory_order_relaxed);
}

void LiveHub::Dispose(Removed removed) {
  // Outside the lock: closing a sink and dropping the last reference to it
  // may run its owner's code.
  for (const auto& s : removed) {
    if (s->slow) s->sink->Close();
  }
}

void LiveHub::Unsubscribe(std::uint64_t id) {
  Removed removed;
  {
    const std::lock_guard lock(mutex_);
    Remove(id, &removed);
  }
  Dispose(std::move(removed));
}

void LiveHub::Replay(Subscriber& s, const LivePosition& after, Removed* removed) {
  const std::size_t capacity = recent_.size();
  if (recent_size_ == 0) return;
  const std::size_t oldest = (recent_next_ + capacity - recent_size_) % capacity;
  const auto at = [&](std::size_t i) -> Recent& { return recent_[(oldest + i) % capacity]; };
  // Where the client stopped, if the ring still holds it.
  std::optional<std::size_t> stop;
  for (std::size_t i = recent_size_; i-- > 0;) {
    if (at(i).position == after) {
      stop = i;
      break;
    }
  }
  for (std::size_t i = stop ? *stop + 1 : 0; i < recent_size_; ++i) {
    const Recent& r = at(i);
    if (!s.user_id.empty() && r.user_id != s.user_id) continue;
    if (!stop && r.position && AtOrBefore(*r.position, after)) continue;
    if (!Deliver(s, r.frame)) {
      Remove(s.id, removed);
      return;
    }
    replayed_.fetch_add(1, std::memory_order_relaxed);
    if (!s.user_id.empty() && r.order != 0) s.last_order = r.order;
  }
}

void LiveHub::ReleasePending(Subscriber& s, std::optional<std::uint64_t> last_order,
                             const LivePosition& after, Removed* removed) {
  s.backfilling = false;
  s.last_order = last_order;
  s.after = after;
  std::deque<Pending> pending = std::move(s.pending);
  s.pending.clear();
  for (const Pending& p : pending) {
    if (Repeat(p.order, p.position, s.last_order, s.after)) continue;
    if (!Deliver(s, p.frame)) {
      Remove(s.id, removed);
      return;
    }
    if (p.order != 0) s.last_order = p.order;
  }
}

base::Result<std::uint64_t> LiveHub::Subscribe(const LiveSubscription& subscription,
                                               std::shared_ptr<LiveSink> sink) {
  Removed removed;
  std::uint64_t id = 0;
  const bool backfill = subscription.after && !subscription.user_id.empty() && backfill_;
  {
    const std::lock_guard lock(mutex_);
    if (subscribers_.size() >= options_.max_subscribers) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return base::MakeError(base::Code::kUnavailable,
                             std::string(kLimitMessage) + std::to_string(options_.max_subscribers) +
                                 " open streams; try again later");
    }
    auto owned = std::make_unique<Subscriber>();
    Subscriber& s = *owned;
    id = s.id = next_id_++;
    s.user_id = subscription.user_id;
    s.sink = sink;
    s.backfilling = backfill;
    s.after = subscription.after;
    subscribers_.emplace(id, std::move(owned));
    subscribers_gauge_.fetch_add(1, std::memory_order_relaxed);
    if (s.user_id.empty()) {
      everyone_.push_back(&s);
    } else {
      by_user_[s.user_id].push_back(&s);
    }
    if (subscription.after && !backfill) Replay(s, *subscription.after, &removed);
  }
  if (!backfill) {
    Dispose(std::move(removed));
    return id;
  }

  // Live frames for this shopper now queue in the subscriber; what the log
  // held before that, the backfill sends.
  std::optional<std::uint64_t> last_order;
  std::uint64_t sent = 0;
  bool full = false;
  std::string frame;
  const base::Status status =
      backfill_(subscription.user_id, *subscription.after, [&](const Notification& n) {
        if (n.user_id != subscription.user_id) return true;
        if (last_order && n.order != 0 && n.order <= *last_order) return true;
        frame.clear();
        AppendLiveFrame(n, &frame);
        if (!sink->Write(frame)) {
          full = true;
          return false;
        }
        ++sent;
        if (n.order != 0) last_order = n.order;
        return true;
      });
  backfilled_.fetch_add(sent, std::memory_order_relaxed);
  delivered_.fetch_add(sent, std::memory_order_relaxed);
  {
    const std::lock_guard lock(mutex_);
    const auto it = subscribers_.find(id);
    // Gone meanwhile: its client left, or it fell behind on live frames
    // (and was closed); either way it resumes by itself.
    if (it != subscribers_.end()) {
      Subscriber& s = *it->second;
      if (!status) {
        Remove(id, &removed);
      } else if (full) {
        s.dead = true;
        if (!sink->closed()) {
          s.slow = true;
          dropped_.fetch_add(1, std::memory_order_relaxed);
        }
        Remove(id, &removed);
      } else {
        ReleasePending(s, last_order, *subscription.after, &removed);
      }
    }
  }
  Dispose(std::move(removed));
  if (!status) {
    return std::unexpected(status.error().WithContext("resuming live push for user '" +
                                                      subscription.user_id + "' after " +
                                                      FormatLivePosition(*subscription.after)));
  }
  return id;
}

bool LiveHub::IsSubscriberLimit(const base::Error& error) {
  return error.code() == base::Code::kUnavailable && error.message().starts_with(kLimitMessage);
}

LiveHubCounters LiveHub::counters() const {
  LiveHubCounters c;
  c.published = published_.load(std::memory_order_relaxed);
  c.delivered = delivered_.load(std::memory_order_relaxed);
  c.backfilled = backfilled_.load(std::memory_order_relaxed);
  c.replayed = replayed_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.disconnected_slow = disconnected_slow_.load(std::memory_order_relaxed);
  c.rejected = rejected_.load(std::memory_order_relaxed);
  c.subscribers = subscribers_gauge_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace promorec::notify
