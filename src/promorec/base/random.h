// The random number source of the simulator and the trainer: xoshiro256**
// seeded through splitmix64, with the few distributions they need written
// out here. The standard library's engines and distributions are not used:
// the distributions' output is implementation-defined, and generated data
// sets and deterministically trained models must be byte-identical for the
// same seed on every build (the Mersenne Twister is also several times
// slower).
// Thread-safety: a value type; one Rng per thread.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace promorec::base {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (std::uint64_t& word : state_) word = SplitMix64(&x);
  }

  std::uint64_t NextU64() {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform in (0, 1], safe to take the logarithm of.
  double UniformOpenZero() { return 1.0 - Uniform(); }

  // Uniform integer in [0, n); 0 < n <= 2^53. Scaling a 53-bit uniform
  // leaves a bias far below anything a simulation can notice.
  std::uint64_t Below(std::uint64_t n) {
    const auto k = static_cast<std::uint64_t>(Uniform() * static_cast<double>(n));
    return k < n ? k : n - 1;
  }

  // Standard normal by Box-Muller; the second value is dropped so that the
  // stream of draws does not depend on how calls interleave.
  double Normal() {
    const double radius = std::sqrt(-2.0 * std::log(UniformOpenZero()));
    return radius * std::cos(2.0 * std::numbers::pi * Uniform());
  }

  double Exponential(double mean) { return -mean * std::log(UniformOpenZero()); }

  static std::uint64_t SplitMix64(std::uint64_t* x) {
    std::uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_[4];
};

}  // namespace promorec::base
