#include "promorec/agent/backoff.h"

#include <algorithm>

namespace promorec::agent {

std::chrono::microseconds Backoff::Ceiling() const {
  const std::int64_t cap = std::chrono::microseconds(options_.max).count();
  std::int64_t delay = std::chrono::microseconds(options_.initial).count();
  for (int i = 0; i < failures_ && delay < cap; ++i) delay *= 2;
  return std::chrono::microseconds(std::clamp<std::int64_t>(delay, 0, cap));
}

std::chrono::microseconds Backoff::Next() {
  const std::int64_t ceiling = Ceiling().count();
  ++failures_;
  const std::int64_t half = ceiling / 2;
  const std::uint64_t span = static_cast<std::uint64_t>(ceiling - half) + 1;
  // The remainder's bias is below 2^-40 for any delay that fits a day.
  const auto jitter = static_cast<std::int64_t>(rng_() % span);
  return std::chrono::microseconds(half + jitter);
}

}  // namespace promorec::agent
