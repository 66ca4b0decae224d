// Delays between attempts to deliver a batch: exponential (initial delay,
// doubled per failure, capped), with "equal jitter": each delay is half its
// exponential value plus a uniformly random part of the other half, so that
// many agents that failed together do not retry together, yet no delay is
// shorter than half the schedule's. The random source is seeded, so a test
// sees the same delays on every run.
//
// Thread-safety: none; one per delivery loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace promorec::agent {

struct BackoffOptions {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{10'000};
};

class Backoff {
 public:
  Backoff(BackoffOptions options, std::uint64_t seed) : options_(options), rng_(seed) {}

  // The delay before the next attempt; each call counts one more failure.
  std::chrono::microseconds Next();
  // The exponential value (before jitter) of the next delay.
  std::chrono::microseconds Ceiling() const;
  // After a success: the next delay is the initial one again.
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int failures_ = 0;
};

}  // namespace promorec::agent
