#include "promorec/eventlog/shard.h"

#include <algorithm>

#include "promorec/base/logging.h"
#include "promorec/base/thread_name.h"
#include "promorec/eventlog/segment_format.h"
#include "promorec/eventlog/shard_segment.h"

namespace promorec::eventlog {
namespace {

std::string IndexPathOf(const std::string& segment_path) {
  return segment_path.substr(0, segment_path.size() - 4) + ".idx";
}

// At most this much is written by one leader, so that a flood of appenders
// does not hold one leader forever.
constexpr std::size_t kMaxGroupRecords = 64 * 1024;

}  // namespace

struct Shard::Writer {
  explicit Writer(const AppendRequest* r) : request(r) {}
  const AppendRequest* request;
  std::condition_variable cv;
  bool done = false;
  base::Status status;
  std::uint64_t last_sequence = 0;
};

Shard::Shard(base::Env& env, base::Clock& clock, ShardConfig config)
    : env_(env), clock_(clock), config_(std::move(config)) {}

base::Result<std::unique_ptr<Shard>> Shard::Open(base::Env& env, base::Clock& clock,
                                                 ShardConfig config, RecoveryReport* report) {
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(config.dir));
  PROMOREC_ASSIGN_OR_RETURN(ShardState state,
                            ScanShard(env, config.dir, config.shard, true, report));
  std::unique_ptr<Shard> shard(new Shard(env, clock, std::move(config)));
  PROMOREC_RETURN_IF_ERROR(shard->Start(std::move(state)));
  return shard;
}

base::Status Shard::Start(ShardState state) {
  next_sequence_ = state.next_sequence;
  for (SegmentState& s : state.segments) {
    auto segment = std::make_shared<Segment>();
    segment->path = std::move(s.path);
    segment->first_sequence = s.first_sequence;
    segment->last_sequence = s.last_sequence;
    segment->first_arrival_us = s.first_arrival_us;
    segment->last_arrival_us = s.last_arrival_us;
    segment->records = s.records;
    segment->size = s.size;
    segment->created_us = s.created_us;
    segment->sealed = true;
    segment->index = std::move(s.index);
    segment->file = std::move(s.file);
    last_arrival_us_ = std::max(last_arrival_us_, segment->last_arrival_us);
    if (segment->last_sequence > 0) {
      visible_last_sequence_ = segment->last_sequence;
      visible_last_arrival_us_ = segment->last_arrival_us;
    }
    segments_.push_back(std::move(segment));
  }
  {
    std::lock_guard file_lock(file_mu_);
    if (state.last_is_appendable && !segments_.empty()) {
      // Continue the newest segment; an index written for it earlier is stale.
      active_ = segments_.back();
      if (auto removed = env_.RemoveFile(IndexPathOf(active_->path));
          !removed && removed.error().code() != base::Code::kNotFound) {
        return std::unexpected(removed.error());
      }
      PROMOREC_ASSIGN_OR_RETURN(active_file_, env_.NewAppendableFile(active_->path));
      active_->sealed = false;
      written_end_ = active_->size;
    } else {
      PROMOREC_RETURN_IF_ERROR(CreateSegment(next_sequence_));
    }
  }
  if (config_.durability == Durability::kInterval) {
    last_sync_nanos_ = clock_.MonotonicNanos();
    syncer_ = std::thread([this] {
      base::SetThreadName("sync-" + config_.stream_name);
      SyncLoop();
    });
  }
  return {};
}

Shard::~Shard() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  std::lock_guard file_lock(file_mu_);
  if (!active_file_) return;
  if (!failed_flag_) {
    if (auto s = active_file_->Sync(); !s) {
      spdlog::error("stream {} shard {}: final sync failed: {}", config_.stream_name, config_.shard,
                    s.error().ToString());
    }
  }
  (void)active_file_->Close();
}

base::Status Shard::CreateSegment(std::uint64_t first_sequence) {
  auto segment = std::make_shared<Segment>();
  segment->path = config_.dir + "/" + SegmentFileName(first_sequence);
  segment->first_sequence = first_sequence;
  segment->created_us = clock_.NowMicros();
  PROMOREC_ASSIGN_OR_RETURN(auto file, env_.NewWritableFile(segment->path));
  PROMOREC_RETURN_IF_ERROR(file->Append(
      EncodeSegmentHeader(SegmentHeader{config_.shard, first_sequence, segment->created_us})));
  PROMOREC_RETURN_IF_ERROR(file->Sync());
  PROMOREC_RETURN_IF_ERROR(env_.SyncDir(config_.dir));
  PROMOREC_ASSIGN_OR_RETURN(auto reader, env_.NewRandomAccessFile(segment->path));
  segment->file = std::move(reader);
  segment->size = kSegmentHeaderBytes;
  active_file_ = std::move(file);
  active_ = segment;
  written_end_ = kSegmentHeaderBytes;
  dirty_ = false;
  std::lock_guard lock(meta_mu_);
  segments_.push_back(std::move(segment));
  return {};
}

base::Status Shard::SealActiveSegment() {
  PROMOREC_RETURN_IF_ERROR(active_file_->Sync());
  PROMOREC_RETURN_IF_ERROR(active_file_->Close());
  active_file_.reset();
  SegmentIndex index;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  {
    std::lock_guard lock(meta_mu_);
    index = active_->index;
    first = active_->first_sequence;
    last = active_->last_sequence == 0 ? first - 1 : active_->last_sequence;
  }
  PROMOREC_RETURN_IF_ERROR(base::WriteFileAtomically(env_, IndexPathOf(active_->path),
                                                     index.Encode(first, last, written_end_)));
  {
    std::lock_guard lock(meta_mu_);
    active_->sealed = true;
  }
  return CreateSegment(next_sequence_);
}

base::Error Shard::FailedError() const {
  return base::Error(base::Code::kFailedPrecondition,
                     "stream " + config_.stream_name + " shard " + std::to_string(config_.shard) +
                         " refuses appends after an I/O error (" + failed_->message() +
                         "); reopen the stream");
}

base::Status Shard::Append(const AppendRequest& request) {
  Writer self(&request);
  std::unique_lock lock(mu_);
  if (failed_) return std::unexpected(FailedError());
  queue_.push_back(&self);
  while (!self.done && &self != queue_.front()) self.cv.wait(lock);
  if (self.done) return self.status;
  if (failed_) {
    // A group that failed while this one waited left the file's end
    // unknown: writing more would reuse its sequence numbers and misframe.
    queue_.pop_front();
    if (!queue_.empty()) queue_.front()->cv.notify_one();
    return std::unexpected(FailedError());
  }
  if (config_.durability == Durability::kFsync && queue_.size() == 1) {
    // An fdatasync costs the same for one record as for thousands: give
    // appenders that were just woken a moment to queue up behind this one.
    lock.unlock();
    std::this_thread::yield();
    lock.lock();
  }
  // This appender leads: it commits its own and every waiting request.
  // Only the leader touches group_, and the next leader starts after this
  // one is done with it.
  std::vector<Writer*>& group = group_;
  group.clear();
  std::size_t records = 0;
  for (Writer* w : queue_) {
    if (!group.empty() && records + w->request->indices.size() > kMaxGroupRecords) break;
    group.push_back(w);
    records += w->request->indices.size();
  }
  lock.unlock();
  base::Status status = WriteGroup(group);
  lock.lock();
  if (!status && !failed_) {
    // A failed write or sync may have lost any record of the group: none
    // is acknowledged, and nothing more is accepted until a reopen.
    failed_ = status.error();
    failed_flag_ = true;
    spdlog::error("stream {} shard {}: {}", config_.stream_name, config_.shard,
                  failed_->ToString());
  }
  for (Writer* w : group) {
    queue_.pop_front();
    if (w == &self) continue;
    w->status = status;
    w->done = true;
    w->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return status;
}

base::Status Shard::WriteGroup(const std::vector<Writer*>& group) {
  std::lock_guard file_lock(file_mu_);
  const std::int64_t now = clock_.NowMicros();
  bool seal = written_end_ >= config_.segment_bytes;
  {
    std::lock_guard lock(meta_mu_);
    seal = seal || (config_.seal_age_us > 0 && active_->records > 0 &&
                    now - active_->first_arrival_us > config_.seal_age_us);
  }
  if (seal) {
    if (auto sealed = SealActiveSegment(); !sealed) {
      return std::unexpected(sealed.error().WithContext("sealing segment " + active_->path));
    }
  }
  const std::int64_t arrival = std::max(last_arrival_us_, now);
  buffer_.clear();
  pending_.clear();
  std::uint64_t offset = written_end_;
  std::uint64_t sequence = next_sequence_;
  for (Writer* w : group) {
    for (const std::uint32_t index : w->request->indices) {
      const PutRecord& record = w->request->records[index];
      payload_.clear();
      EncodeRecordPayload(RecordFields{sequence, arrival, record.partition_key, record.data},
                          &payload_);
      const std::uint64_t start = FirstFragmentOffset(offset);
      offset = AppendFragments(offset, payload_, &buffer_);
      pending_.push_back(Pending{sequence, arrival, start, offset});
      w->request->results[index] = PutResult{config_.shard, sequence};
      ++sequence;
    }
  }
  base::Status status = active_file_->Append(buffer_);
  // The separate sync step: one fdatasync covers the whole group. In the
  // other modes a flush to the OS is enough: the records then survive a
  // crash of this process, and readers (with their own handles) see them.
  if (status) {
    status =
        config_.durability == Durability::kFsync ? active_file_->Sync() : active_file_->Flush();
  }
  if (!status) {
    return std::unexpected(status.error().WithContext("appending to " + active_->path));
  }
  dirty_ = config_.durability != Durability::kFsync;
  next_sequence_ = sequence;
  last_arrival_us_ = arrival;
  written_end_ = offset;
  Publish();
  return {};
}

std::uint64_t Shard::LastVisibleSequence() const {
  std::lock_guard lock(meta_mu_);
  return visible_last_sequence_;
}

void Shard::Publish() {
  std::lock_guard lock(meta_mu_);
  Segment& segment = *active_;
  for (const Pending& p : pending_) segment.index.Add(p.sequence, p.arrival_us, p.offset);
  if (pending_.empty()) return;
  if (segment.records == 0) segment.first_arrival_us = pending_.front().arrival_us;
  segment.records += pending_.size();
  segment.last_sequence = pending_.back().sequence;
  segment.last_arrival_us = pending_.back().arrival_us;
  segment.size = pending_.back().end_offset;
  visible_last_sequence_ = segment.last_sequence;
  visible_last_arrival_us_ = segment.last_arrival_us;
}

std::int64_t Shard::SyncIfDue() {
  const std::int64_t interval_nanos = std::int64_t{config_.sync_interval_ms} * 1'000'000;
  const std::int64_t now = clock_.MonotonicNanos();
  base::Status status;
  {
    std::lock_guard file_lock(file_mu_);
    const std::int64_t due = last_sync_nanos_ + interval_nanos;
    if (now < due) return due - now;
    if (!dirty_ || failed_flag_) {
      // Nothing to sync: the next write starts a new interval.
      last_sync_nanos_ = now;
      return interval_nanos;
    }
    status = SyncDirtyLocked(now);
  }
  if (!status) Fence(status.error(), "interval sync of ");
  return interval_nanos;
}

base::Status Shard::Sync() {
  base::Status status;
  {
    std::lock_guard file_lock(file_mu_);
    if (!failed_flag_ && dirty_) status = SyncDirtyLocked(clock_.MonotonicNanos());
  }
  if (!status) {
    Fence(status.error(), "sync of ");
    return status;
  }
  if (!failed_flag_) return {};
  std::lock_guard lock(mu_);
  return std::unexpected(FailedError());
}

base::Status Shard::SyncDirtyLocked(std::int64_t now_nanos) {
  base::Status status = active_file_->Sync();
  last_sync_nanos_ = now_nanos;
  if (status) dirty_ = false;
  return status;
}

void Shard::Fence(const base::Error& error, std::string_view what) {
  // Records acknowledged since the last sync may be lost; refuse more.
  std::lock_guard lock(mu_);
  if (failed_) return;
  failed_ = error.WithContext(std::string(what) + config_.dir);
  failed_flag_ = true;
  spdlog::error("stream {} shard {}: {}", config_.stream_name, config_.shard, failed_->ToString());
}

void Shard::SyncLoop() {
  // The thread wakes on real time; whether a sync is due is decided on the
  // injected clock (SyncIfDue), so tests drive it with a fake clock.
  std::unique_lock stop_lock(stop_mu_);
  std::int64_t wait_nanos = std::int64_t{config_.sync_interval_ms} * 1'000'000;
  while (!stop_cv_.wait_for(stop_lock, std::chrono::nanoseconds(wait_nanos),
                            [this] { return stopping_; })) {
    stop_lock.unlock();
    wait_nanos = SyncIfDue();
    stop_lock.lock();
  }
}

std::vector<SealedSegment> Shard::SealedSegments() {
  std::lock_guard lock(meta_mu_);
  std::vector<SealedSegment> out;
  for (const auto& s : segments_) {
    if (!s->sealed) break;
    out.push_back(SealedSegment{s->first_sequence, s->last_sequence, s->first_arrival_us,
                                s->last_arrival_us, s->size});
  }
  return out;
}

base::Result<std::uint64_t> Shard::DeleteOldestSegment(std::uint64_t first_sequence) {
  std::shared_ptr<Segment> victim;
  {
    std::lock_guard lock(meta_mu_);
    if (segments_.size() < 2 || !segments_.front()->sealed ||
        segments_.front()->first_sequence != first_sequence) {
      return 0;
    }
    victim = segments_.front();
    segments_.erase(segments_.begin());
  }
  // Readers holding the segment keep reading the unlinked file.
  PROMOREC_RETURN_IF_ERROR(env_.RemoveFile(victim->path));
  if (auto removed = env_.RemoveFile(IndexPathOf(victim->path));
      !removed && removed.error().code() != base::Code::kNotFound) {
    return std::unexpected(removed.error());
  }
  return victim->size;
}

std::uint64_t Shard::TotalBytes() {
  std::lock_guard lock(meta_mu_);
  std::uint64_t total = 0;
  for (const auto& s : segments_) total += s->size;
  return total;
}

}  // namespace promorec::eventlog
