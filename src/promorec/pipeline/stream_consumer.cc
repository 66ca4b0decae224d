#include "promorec/pipeline/stream_consumer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "promorec/base/thread_name.h"

namespace promorec::pipeline {
namespace {

// How long a caught-up consumer waits for appends before it looks at its
// stop flag again, and how long it pauses after a failed read.
constexpr std::int64_t kWaitMicros = 50'000;
constexpr auto kRetryPause = std::chrono::milliseconds(200);

}  // namespace

base::Result<std::unique_ptr<StreamConsumer>> StreamConsumer::Create(
    std::string name, std::shared_ptr<eventlog::Stream> stream, std::vector<std::uint64_t> next,
    Apply apply, Between between, ConsumerOptions options) {
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, stream->DescribeShards());
  if (next.empty()) {
    for (const eventlog::ShardInfo& info : shards) {
      PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t first,
                                stream->Resolve(info.shard, eventlog::IteratorSpec{}));
      next.push_back(first);
    }
  }
  if (next.size() != shards.size()) {
    return base::FailedPrecondition(
        "consumer " + name + " has positions for " + std::to_string(next.size()) +
        " shards of stream " + stream->name() + ", which has " + std::to_string(shards.size()));
  }
  return std::unique_ptr<StreamConsumer>(new StreamConsumer(std::move(name), std::move(stream),
                                                            std::move(next), std::move(apply),
                                                            std::move(between), options));
}

StreamConsumer::StreamConsumer(std::string name, std::shared_ptr<eventlog::Stream> stream,
                               std::vector<std::uint64_t> next, Apply apply, Between between,
                               ConsumerOptions options)
    : name_(std::move(name)),
      stream_(std::move(stream)),
      apply_(std::move(apply)),
      between_(std::move(between)),
      options_(options),
      next_(std::move(next)) {}

StreamConsumer::~StreamConsumer() { Stop(); }

base::Result<std::size_t> StreamConsumer::Pass() {
  std::size_t applied = 0;
  pass_behind_us_ = 0;
  for (std::uint32_t shard = 0; shard < next_.size(); ++shard) {
    // Only this thread changes next_, so it reads it without the lock.
    PROMOREC_ASSIGN_OR_RETURN(const eventlog::ReadBatch batch,
                              stream_->Read(shard, next_[shard], options_.limits));
    if (batch.records.empty()) continue;
    pass_behind_us_ = std::max(pass_behind_us_, batch.behind_us);
    apply_(shard, batch);
    applied += batch.records.size();
    {
      std::lock_guard lock(mu_);
      next_[shard] = batch.next_sequence;
    }
    applied_cv_.notify_all();
  }
  return applied;
}

base::Status StreamConsumer::CatchUp() {
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t applied, Pass());
    if (applied == 0) return {};
  }
}

void StreamConsumer::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    base::SetThreadName(name_ + ":" + stream_->name());
    if (options_.background) {
      can_raise_ = base::LowerThreadPriority();
      lowered_ = true;
    }
    Run();
  });
}

void StreamConsumer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StreamConsumer::Run() {
  while (!stopping_) {
    try {
      auto applied = Pass();
      AdjustPriority();
      if (between_) between_();
      if (!applied) {
        spdlog::error("consumer {} of stream {}: {} (retrying)", name_, stream_->name(),
                      applied.error().ToString());
        std::this_thread::sleep_for(kRetryPause);
        continue;
      }
      if (*applied > 0) {
        if (options_.linger_us > 0) {
          std::unique_lock lock(mu_);
          stop_cv_.wait_for(lock, std::chrono::microseconds(options_.linger_us),
                            [this] { return stopping_.load(); });
        }
        continue;
      }
      const std::vector<std::uint64_t> next = Positions();
      if (auto waited = stream_->WaitForRecords(next, kWaitMicros); !waited) {
        spdlog::error("consumer {} of stream {}: {} (retrying)", name_, stream_->name(),
                      waited.error().ToString());
        std::this_thread::sleep_for(kRetryPause);
      }
    } catch (const std::exception& e) {
      spdlog::error("consumer {} of stream {}: {} (retrying)", name_, stream_->name(), e.what());
      std::this_thread::sleep_for(kRetryPause);
    }
  }
}

void StreamConsumer::AdjustPriority() {
  if (!options_.background || !can_raise_) return;
  if (lowered_ && pass_behind_us_ > options_.catch_up_behind_us) {
    if (base::NormalThreadPriority()) {
      lowered_ = false;
      spdlog::info("consumer {} of stream {}: {} ms behind, catching up at normal priority", name_,
                   stream_->name(), pass_behind_us_ / 1000);
    }
  } else if (!lowered_ && pass_behind_us_ < options_.catch_up_behind_us / 4) {
    base::LowerThreadPriority();
    lowered_ = true;
  }
}

std::vector<std::uint64_t> StreamConsumer::Positions() const {
  std::lock_guard lock(mu_);
  return next_;
}

bool StreamConsumer::PastLocked(std::span<const std::uint64_t> last) const {
  for (std::size_t i = 0; i < last.size() && i < next_.size(); ++i) {
    if (last[i] != 0 && next_[i] <= last[i]) return false;
  }
  return true;
}

bool StreamConsumer::WaitUntilPast(std::span<const std::uint64_t> last,
                                   std::int64_t timeout_us) const {
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, std::chrono::microseconds(timeout_us),
                              [&] { return PastLocked(last); });
}

}  // namespace promorec::pipeline
