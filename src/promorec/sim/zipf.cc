#include "promorec/sim/zipf.h"

#include <cmath>
#include <string>

namespace promorec::sim {
namespace {

// log1p(x) / x, continuous at 0 (the series keeps precision there).
double Log1pOverX(double x) {
  if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
  return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double Expm1OverX(double x) {
  if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
  return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

}  // namespace

base::Result<ZipfSampler> ZipfSampler::Create(std::uint64_t n, double exponent) {
  if (n < 1) return base::InvalidArgument("Zipf sampler needs n >= 1");
  if (!std::isfinite(exponent) || exponent < 0) {
    return base::InvalidArgument("Zipf exponent must be finite and >= 0, got " +
                                 std::to_string(exponent));
  }
  return ZipfSampler(n, exponent);
}

ZipfSampler::ZipfSampler(std::uint64_t n, double exponent) : n_(n), exponent_(exponent) {
  h_integral_x1_ = HIntegral(1.5) - 1.0;
  h_integral_n_ = HIntegral(static_cast<double>(n) + 0.5);
  squeeze_ = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
}

// The unnormalised density x^-exponent.
double ZipfSampler::H(double x) const { return std::exp(-exponent_ * std::log(x)); }

// An antiderivative of H, written so that exponent 1 needs no special case.
double ZipfSampler::HIntegral(double x) const {
  const double log_x = std::log(x);
  return Expm1OverX((1.0 - exponent_) * log_x) * log_x;
}

double ZipfSampler::HIntegralInverse(double x) const {
  double t = x * (1.0 - exponent_);
  // Rounding can push t just below its domain's edge.
  if (t < -1.0) t = -1.0;
  return std::exp(Log1pOverX(t) * x);
}

std::uint64_t ZipfSampler::Sample(base::Rng& rng) const {
  while (true) {
    const double u = h_integral_n_ + rng.Uniform() * (h_integral_x1_ - h_integral_n_);
    const double x = HIntegralInverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1.0) {
      k = 1.0;
    } else if (k > static_cast<double>(n_)) {
      k = static_cast<double>(n_);
    }
    if (k - x <= squeeze_ || u >= HIntegral(k + 0.5) - H(k)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

}  // namespace promorec::sim
