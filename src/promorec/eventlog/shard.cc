#include "promorec/eventlog/shard.h"

#include <algorithm>

#include "promorec/base/logging.h"
#include "promorec/eventlog/segment_format.h"
#include "promorec/eventlog/shard_segment.h"

namespace promorec::eventlog {
namespace {

std::string IndexPathOf(const std::string& segment_path) {
  return segment_path.substr(0, segment_path.size() - 4) + ".idx";
}

}  // namespace

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
  if (state.last_is_appendable && !segments_.empty()) {
    // Continue the newest segment; an index written for it earlier is stale.
    Segment& active = *segments_.back();
    (void)env_.RemoveFile(IndexPathOf(active.path));
    PROMOREC_ASSIGN_OR_RETURN(active_file_, env_.NewAppendableFile(active.path));
    active.sealed = false;
    written_end_ = active.size;
  } else {
    PROMOREC_RETURN_IF_ERROR(CreateSegment(next_sequence_));
  }
  next_sync_ns_ =
      clock_.MonotonicNanos() + static_cast<std::int64_t>(config_.sync_interval_ms) * 1'000'000;
  writer_ = std::thread([this] { WriterLoop(); });
  return {};
}

Shard::~Shard() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (active_file_) {
    if (!failed_) {
      if (auto s = active_file_->Sync(); !s) {
        spdlog::error("stream {} shard {}: final sync failed: {}", config_.stream_name,
                      config_.shard, s.error().ToString());
      }
    }
    (void)active_file_->Close();
  }
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
  written_end_ = kSegmentHeaderBytes;
  std::lock_guard lock(meta_mu_);
  segments_.push_back(std::move(segment));
  return {};
}

base::Status Shard::SealActiveSegment() {
  PROMOREC_RETURN_IF_ERROR(active_file_->Sync());
  PROMOREC_RETURN_IF_ERROR(active_file_->Close());
  active_file_.reset();
  dirty_ = false;
  std::shared_ptr<Segment> active;
  {
    std::lock_guard lock(meta_mu_);
    active = segments_.back();
  }
  // The writer is the only one changing the active segment, so reading its
  // index without the lock is safe here.
  const std::uint64_t last =
      active->last_sequence == 0 ? active->first_sequence - 1 : active->last_sequence;
  PROMOREC_RETURN_IF_ERROR(
      base::WriteFileAtomically(env_, IndexPathOf(active->path),
                                active->index.Encode(active->first_sequence, last, written_end_)));
  {
    std::lock_guard lock(meta_mu_);
    active->sealed = true;
  }
  return CreateSegment(next_sequence_);
}

void Shard::Submit(AppendRequest* request) {
  {
    std::lock_guard lock(queue_mu_);
    queue_.push_back(request);
  }
  queue_cv_.notify_one();
}

void Shard::WriterLoop() {
  std::vector<AppendRequest*> group;
  while (true) {
    {
      std::unique_lock lock(queue_mu_);
      if (config_.durability == Durability::kInterval) {
        const std::int64_t wait_ns =
            std::max<std::int64_t>(0, next_sync_ns_ - clock_.MonotonicNanos());
        queue_cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns),
                           [this] { return stopping_ || !queue_.empty(); });
      } else {
        queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      }
      if (queue_.empty() && stopping_) return;
      group.assign(queue_.begin(), queue_.end());
      queue_.clear();
    }
    if (!group.empty()) WriteGroup(group);
    if (config_.durability == Durability::kInterval && !failed_) {
      if (auto synced = SyncIfDue(false); !synced) {
        // Data acknowledged since the last sync may be lost; refuse more.
        failed_ = synced.error().WithContext("interval sync of stream " + config_.stream_name +
                                             " shard " + std::to_string(config_.shard));
        failed_flag_ = true;
        spdlog::error("{}", failed_->ToString());
      }
    }
    group.clear();
  }
}

base::Status Shard::SyncIfDue(bool force) {
  const std::int64_t now = clock_.MonotonicNanos();
  if (!force && now < next_sync_ns_) return {};
  next_sync_ns_ = now + static_cast<std::int64_t>(config_.sync_interval_ms) * 1'000'000;
  if (!dirty_) return {};
  dirty_ = false;
  return active_file_->Sync();
}

void Shard::Fail(std::vector<AppendRequest*>& group, const base::Error& error) {
  for (AppendRequest* request : group) request->completion->Done(std::unexpected(error));
}

void Shard::WriteGroup(std::vector<AppendRequest*>& group) {
  if (failed_) {
    Fail(group,
         base::Error(base::Code::kFailedPrecondition,
                     "stream " + config_.stream_name + " shard " + std::to_string(config_.shard) +
                         " refuses appends after an I/O error (" + failed_->message() +
                         "); reopen the stream"));
    return;
  }
  const std::int64_t now = clock_.NowMicros();
  {
    bool seal = written_end_ >= config_.segment_bytes;
    {
      std::lock_guard lock(meta_mu_);
      const Segment& active = *segments_.back();
      seal = seal || (config_.seal_age_us > 0 && active.records > 0 &&
                      now - active.first_arrival_us > config_.seal_age_us);
    }
    if (seal) {
      if (auto sealed = SealActiveSegment(); !sealed) {
        failed_ = sealed.error().WithContext("sealing a segment");
        failed_flag_ = true;
        Fail(group, *failed_);
        return;
      }
    }
  }
  const std::int64_t arrival = std::max(last_arrival_us_, now);
  buffer_.clear();
  pending_.clear();
  std::uint64_t offset = written_end_;
  std::uint64_t sequence = next_sequence_;
  for (AppendRequest* request : group) {
    for (const std::uint32_t index : request->indices) {
      const PutRecord& record = request->records[index];
      payload_.clear();
      EncodeRecordPayload(RecordFields{sequence, arrival, record.partition_key, record.data},
                          &payload_);
      pending_.push_back(Pending{sequence, arrival, offset});
      offset = AppendFragments(offset, payload_, &buffer_);
      request->results[index] = PutResult{config_.shard, sequence};
      ++sequence;
    }
  }
  base::Status status = active_file_->Append(buffer_);
  if (status) {
    status =
        config_.durability == Durability::kFsync ? active_file_->Sync() : active_file_->Flush();
  }
  if (!status) {
    failed_ = status.error().WithContext("appending to " + segments_.back()->path);
    failed_flag_ = true;
    spdlog::error("stream {} shard {}: {}", config_.stream_name, config_.shard,
                  failed_->ToString());
    Fail(group, *failed_);
    return;
  }
  dirty_ = config_.durability != Durability::kFsync;
  next_sequence_ = sequence;
  last_arrival_us_ = arrival;
  written_end_ = offset;
  {
    std::lock_guard lock(meta_mu_);
    Segment& active = *segments_.back();
    for (const Pending& p : pending_) active.index.Add(p.sequence, p.arrival_us, p.offset);
    if (active.records == 0) active.first_arrival_us = arrival;
    active.records += pending_.size();
    active.last_sequence = sequence - 1;
    active.last_arrival_us = arrival;
    active.size = offset;
    visible_last_sequence_ = sequence - 1;
    visible_last_arrival_us_ = arrival;
  }
  for (AppendRequest* request : group) request->completion->Done(base::OkStatus());
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
    if (segments_.empty() || !segments_.front()->sealed || segments_.size() == 1 ||
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
