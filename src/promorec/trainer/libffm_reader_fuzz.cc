// Fuzzes the libffm line parser with click and with real-valued labels: no
// input may crash it, every accepted line's label and features must be in
// range, and ParseLibffmLine must agree exactly with
// ParseLibffmLineReference (same label or error text, same features bit for
// bit).
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "promorec/trainer/libffm_reader.h"

namespace {

bool SameFeatures(const std::vector<promorec::model::Feature>& a,
                  const std::vector<promorec::model::Feature>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].field != b[i].field || a[i].index != b[i].index ||
        std::bit_cast<std::uint32_t>(a[i].value) != std::bit_cast<std::uint32_t>(b[i].value)) {
      return false;
    }
  }
  return true;
}

// Both parsers on `line` with `labels`; traps on any disagreement.
void Check(std::string_view line, promorec::trainer::LibffmLabels labels) {
  std::vector<promorec::model::Feature> features;
  auto label = promorec::trainer::ParseLibffmLine(line, &features, labels);
  std::vector<promorec::model::Feature> reference_features;
  const auto reference =
      promorec::trainer::ParseLibffmLineReference(line, &reference_features, labels);
  if (label.has_value() != reference.has_value()) __builtin_trap();
  if (label ? std::bit_cast<std::uint32_t>(*label) != std::bit_cast<std::uint32_t>(*reference)
            : label.error() != reference.error()) {
    __builtin_trap();
  }
  if (!SameFeatures(features, reference_features)) __builtin_trap();
  if (!label) return;
  if (labels == promorec::trainer::LibffmLabels::kClicks && *label != 0.0f && *label != 1.0f) {
    std::abort();
  }
  if (!std::isfinite(*label)) std::abort();
  for (const auto& f : features) {
    if (f.field > promorec::trainer::kMaxLibffmField) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  Check(line, promorec::trainer::LibffmLabels::kClicks);
  Check(line, promorec::trainer::LibffmLabels::kReal);
  return 0;
}
