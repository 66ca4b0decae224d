// Internal to the Kinesis API: the optional per-shard write limit, a token
// bucket per (stream, shard) that refills at `rate` records per second on
// the injected clock's monotonic time and holds one second's worth (at
// least one record).
// Thread-safety: safe from many threads (one mutex around the buckets).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "promorec/base/clock.h"

namespace promorec::kinesis {

class ShardThrottle {
 public:
  // `rate` <= 0 admits everything.
  ShardThrottle(const base::Clock& clock, double rate) : clock_(clock), rate_(rate) {}

  bool enabled() const { return rate_ > 0; }
  // Takes one record's token from the shard's bucket; false when it is empty.
  bool TryAcquire(std::string_view stream, std::uint32_t shard);
  // Forgets the buckets of a deleted (or re-created) stream.
  void Forget(std::string_view stream);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t refilled_ns = 0;
  };

  const base::Clock& clock_;
  const double rate_;
  std::mutex mu_;
  // stream -> shard -> bucket
  std::map<std::string, std::map<std::uint32_t, Bucket>, std::less<>> buckets_;
};

}  // namespace promorec::kinesis
