#include "promorec/agent/agent.h"

#include <algorithm>
#include <numeric>

#include "promorec/base/logging.h"
#include "promorec/event/delimited.h"

namespace promorec::agent {
namespace {

std::int64_t Nanos(std::chrono::nanoseconds d) { return d.count(); }

}  // namespace

base::Result<std::unique_ptr<Agent>> Agent::Open(TailFs& fs, base::Env& env, base::Clock& clock,
                                                 Sink& sink, AgentOptions options) {
  std::vector<CheckpointEntry> resume;
  if (!options.checkpoint_path.empty()) {
    PROMOREC_ASSIGN_OR_RETURN(resume, LoadCheckpoint(env, options.checkpoint_path));
  }
  return std::unique_ptr<Agent>(
      new Agent(fs, env, clock, sink, std::move(options), std::move(resume)));
}

Agent::Agent(TailFs& fs, base::Env& env, base::Clock& clock, Sink& sink, AgentOptions options,
             std::vector<CheckpointEntry> resume)
    : env_(env),
      clock_(clock),
      sink_(sink),
      options_(std::move(options)),
      tailer_(fs, options_.watch,
              TailerOptions{.skip_line = options_.format == LineFormat::kClick
                                             ? &event::IsClassicHeaderLine
                                             : nullptr},
              std::move(resume)),
      batch_(options_.batch),
      backoff_(options_.backoff, options_.seed) {}

std::int64_t Agent::StopDeadline() {
  if (stop_deadline_ns_ < 0) {
    stop_deadline_ns_ = clock_.MonotonicNanos() + Nanos(options_.stop_timeout);
  }
  return stop_deadline_ns_;
}

void Agent::SleepUntil(std::int64_t deadline_ns, const std::atomic<bool>& stop) {
  // Slices keep a stop request from waiting out a long backoff.
  constexpr std::int64_t kSliceNs = 50'000'000;
  while (!stop.load(std::memory_order_relaxed)) {
    const std::int64_t left = deadline_ns - clock_.MonotonicNanos();
    if (left <= 0) return;
    clock_.SleepFor(std::chrono::microseconds((std::min(left, kSliceNs) + 999) / 1000));
  }
}

base::Status Agent::WriteCheckpoint() {
  if (options_.checkpoint_path.empty()) return {};
  PROMOREC_ASSIGN_OR_RETURN(const std::vector<CheckpointEntry> entries, tailer_.Checkpoint());
  PROMOREC_RETURN_IF_ERROR(SaveCheckpoint(env_, options_.checkpoint_path, entries));
  ++stats_.checkpoints_written;
  return {};
}

base::Status Agent::Deliver(const std::atomic<bool>& stop) {
  pending_.resize(batch_.size());
  std::iota(pending_.begin(), pending_.end(), std::size_t{0});
  const auto give_up = [this] {
    return base::MakeError(base::Code::kUnavailable,
                           "stopping: " + std::to_string(pending_.size()) +
                               " lines are not delivered; they are sent again on restart");
  };
  while (!pending_.empty()) {
    if (stop.load(std::memory_order_relaxed) && clock_.MonotonicNanos() >= StopDeadline()) {
      return give_up();
    }
    views_.clear();
    for (const std::size_t i : pending_) views_.push_back(batch_.line(i));
    auto sent = sink_.Send(views_);
    if (sent) {
      stats_.lines_rejected += sent->rejected;
      stats_.lines_sent += pending_.size() - sent->retry.size() - sent->rejected;
      std::vector<std::size_t> again;
      again.reserve(sent->retry.size());
      for (const std::size_t k : sent->retry) again.push_back(pending_[k]);
      pending_ = std::move(again);
      if (pending_.empty()) break;
      spdlog::warn(
          "agent: {} of {} records were not stored (throttled or failed); sending them "
          "again",
          pending_.size(), views_.size());
    } else if (sent.error().code() != base::Code::kUnavailable) {
      return std::unexpected(sent.error());
    }
    ++stats_.failed_sends;
    const std::int64_t delay = Nanos(backoff_.Next());
    if (!sent) {
      spdlog::warn("agent: sending {} lines failed ({}); trying again in {} ms", views_.size(),
                   sent.error().ToString(), delay / 1'000'000);
    }
    std::int64_t wake = clock_.MonotonicNanos() + delay;
    if (stop.load(std::memory_order_relaxed) && wake > StopDeadline()) return give_up();
    SleepUntil(wake, stop);
    if (stop.load(std::memory_order_relaxed) && clock_.MonotonicNanos() < wake) {
      // Stopped during the wait: finish it within the stop deadline.
      wake = std::min(wake, StopDeadline());
      SleepUntil(wake, std::atomic<bool>(false));
    }
  }
  ++stats_.batches_sent;
  backoff_.Reset();
  tailer_.AcknowledgeRead();
  batch_.Clear();
  return WriteCheckpoint();
}

base::Result<std::int64_t> Agent::Step(const std::atomic<bool>& stop) {
  std::int64_t now = clock_.MonotonicNanos();
  if (now >= next_scan_ns_) {
    PROMOREC_RETURN_IF_ERROR(tailer_.Scan());
    next_scan_ns_ = now + Nanos(options_.poll);
  }
  batch_.set_now(now);
  PROMOREC_RETURN_IF_ERROR(tailer_.Read(batch_));
  if (batch_.Due(now)) {
    PROMOREC_RETURN_IF_ERROR(Deliver(stop));
    return 0;
  }
  std::int64_t wait = next_scan_ns_ - now;
  if (!batch_.empty()) wait = std::min(wait, batch_.NanosUntilDue(now));
  return std::max<std::int64_t>(wait, 0);
}

base::Status Agent::Run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    auto wait = Step(stop);
    if (!wait) {
      // A delivery cut short by the stop request ends like any stop.
      if (stop.load(std::memory_order_relaxed) && wait.error().code() == base::Code::kUnavailable) {
        break;
      }
      return std::unexpected(wait.error());
    }
    if (*wait > 0) SleepUntil(clock_.MonotonicNanos() + *wait, stop);
  }
  StopDeadline();
  base::Status delivered;
  if (!batch_.empty()) delivered = Deliver(stop);
  if (!delivered && delivered.error().code() != base::Code::kUnavailable) return delivered;
  if (!delivered) spdlog::warn("agent: {}", delivered.error().message());
  return WriteCheckpoint();
}

}  // namespace promorec::agent
