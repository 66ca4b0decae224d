#include "promorec/kinesis/kinesis_throttle.h"

#include <algorithm>

namespace promorec::kinesis {

bool ShardThrottle::TryAcquire(std::string_view stream, std::uint32_t shard) {
  if (!enabled()) return true;
  const std::int64_t now = clock_.MonotonicNanos();
  std::lock_guard lock(mu_);
  const double capacity = std::max(rate_, 1.0);
  auto stream_it = buckets_.find(stream);
  if (stream_it == buckets_.end()) stream_it = buckets_.try_emplace(std::string(stream)).first;
  Bucket& bucket = stream_it->second.try_emplace(shard, Bucket{capacity, now}).first->second;
  const double elapsed_s = static_cast<double>(now - bucket.refilled_ns) * 1e-9;
  bucket.tokens = std::min(capacity, bucket.tokens + elapsed_s * rate_);
  bucket.refilled_ns = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

void ShardThrottle::Forget(std::string_view stream) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (auto it = buckets_.find(stream); it != buckets_.end()) buckets_.erase(it);
}

}  // namespace promorec::kinesis
