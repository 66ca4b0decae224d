// A Zipf sampler: ranks 1..n with P(k) proportional to k^-exponent, drawn
// by rejection-inversion (Hoermann and Derflinger, 1996). It needs O(1)
// memory and expected O(1) time whatever n is, so a generator with tens of
// millions of users builds no table.
// Thread-safety: immutable after construction; Sample is const and safe to
// call from many threads, each with its own base::Rng.
#pragma once

#include <cstdint>

#include "promorec/base/random.h"
#include "promorec/base/status.h"

namespace promorec::sim {

class ZipfSampler {
 public:
  // n >= 1 and a finite exponent >= 0 (0 is uniform).
  [[nodiscard]] static base::Result<ZipfSampler> Create(std::uint64_t n, double exponent);

  // A rank in [1, n]; rank 1 is the most frequent.
  std::uint64_t Sample(base::Rng& rng) const;

  std::uint64_t n() const { return n_; }
  double exponent() const { return exponent_; }

 private:
  ZipfSampler(std::uint64_t n, double exponent);

  double H(double x) const;
  double HIntegral(double x) const;
  double HIntegralInverse(double x) const;

  std::uint64_t n_;
  double exponent_;
  double h_integral_x1_;
  double h_integral_n_;
  // Accepts a candidate without evaluating the rejection test when it lies
  // this close to the inverse, which is most of the time.
  double squeeze_;
};

}  // namespace promorec::sim
