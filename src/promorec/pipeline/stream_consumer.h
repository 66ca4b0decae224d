// A consumer of a stream: it reads every shard from its own positions,
// hands each batch of records to the consumer's function, and waits for
// appends once it has caught up (Stream::WaitForRecords), so that new
// records are applied within moments of their append without polling.
// Where the positions are kept is the consumer's choice: a stream
// checkpoint, or inside a snapshot of the state the records were folded
// into (so that the state and the positions it reflects can never
// disagree). Delivery is at least once: after a crash a consumer resumes
// from the positions it last saved.
//
// Thread-safety: Start runs the consumer on a thread of its own; CatchUp
// and Start must not overlap. Positions and WaitUntilPast may be called
// from any thread. The apply function runs on one thread at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/eventlog/stream.h"

namespace promorec::pipeline {

struct ConsumerOptions {
  // One read's bound: also how much Stop may wait for.
  eventlog::ReadLimits limits;
  // After a round that applied records, how long to wait before the next
  // one: a consumer off the shoppers' path (the lake) reads fewer, bigger
  // batches and wakes less often. 0: read again at once.
  std::int64_t linger_us = 0;
  // Whether the thread runs at background CPU priority
  // (base::LowerThreadPriority), below those that answer requests and make
  // decisions: under full load it falls behind instead of them. Where the
  // priority can be raised again, it is while the consumer is more than
  // catch_up_behind_us behind the stream's newest record, until it is back
  // within a quarter of that, so that the lag stays bounded.
  bool background = false;
  std::int64_t catch_up_behind_us = 2'000'000;
};

class StreamConsumer {
 public:
  // Called with each batch read from a shard, in order, shard by shard.
  using Apply = std::function<void(std::uint32_t shard, const eventlog::ReadBatch& batch)>;

  // `next` is, per shard in shard order, the sequence number to read next;
  // empty starts every shard at the oldest record kept.
  // Called on the consumer's thread after each round over the shards (at
  // least every 50 ms), between batches: where a consumer does periodic
  // work on its state, such as a snapshot.
  using Between = std::function<void()>;

  [[nodiscard]] static base::Result<std::unique_ptr<StreamConsumer>> Create(
      std::string name, std::shared_ptr<eventlog::Stream> stream, std::vector<std::uint64_t> next,
      Apply apply, Between between = {}, ConsumerOptions options = {});
  ~StreamConsumer();
  StreamConsumer(const StreamConsumer&) = delete;
  StreamConsumer& operator=(const StreamConsumer&) = delete;

  // Reads and applies until no shard has more (start-up replay).
  [[nodiscard]] base::Status CatchUp();
  // Applies new records on a thread of its own until Stop. A failed read is
  // logged and retried after a pause; the consumer never gives up.
  void Start();
  // Finishes the batch being applied and stops the thread.
  void Stop();

  // Per shard, the sequence number to read next: everything before it has
  // been applied.
  std::vector<std::uint64_t> Positions() const;
  // Blocks until every record up to `last` (per shard, a sequence number; 0
  // = none) has been applied, or `timeout_us` passes; false on time-out.
  bool WaitUntilPast(std::span<const std::uint64_t> last, std::int64_t timeout_us) const;

  const std::string& name() const { return name_; }
  eventlog::Stream& stream() const { return *stream_; }

 private:
  StreamConsumer(std::string name, std::shared_ptr<eventlog::Stream> stream,
                 std::vector<std::uint64_t> next, Apply apply, Between between,
                 ConsumerOptions options);
  // One read of every shard; the number of records applied. Sets
  // pass_behind_us_ to the most any shard was behind.
  [[nodiscard]] base::Result<std::size_t> Pass();
  // Background priority, raised while far behind (ConsumerOptions).
  void AdjustPriority();
  void Run();
  bool PastLocked(std::span<const std::uint64_t> last) const;

  const std::string name_;
  const std::shared_ptr<eventlog::Stream> stream_;
  const Apply apply_;
  const Between between_;
  const ConsumerOptions options_;
  // next_ is written by the applying thread only, under mu_.
  mutable std::mutex mu_;
  mutable std::condition_variable applied_cv_;
  std::condition_variable stop_cv_;  // ends a linger
  std::vector<std::uint64_t> next_;
  std::atomic<bool> stopping_{false};
  std::int64_t pass_behind_us_ = 0;  // the consumer's thread only
  bool lowered_ = false;             // at background priority now
  bool can_raise_ = false;           // NormalThreadPriority is allowed
  std::thread thread_;
};

}  // namespace promorec::pipeline
