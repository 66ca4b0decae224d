// Fuzzes the libffm line parser: no input may crash it, every accepted
// line's features must be in range, and ParseLibffmLine must agree exactly
// with ParseLibffmLineReference (same label or error text, same features
// bit for bit).
#include <bit>
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  std::vector<promorec::model::Feature> features;
  auto label = promorec::trainer::ParseLibffmLine(line, &features);
  std::vector<promorec::model::Feature> reference_features;
  const auto reference = promorec::trainer::ParseLibffmLineReference(line, &reference_features);
  if (label.has_value() != reference.has_value()) __builtin_trap();
  if (label ? std::bit_cast<std::uint32_t>(*label) != std::bit_cast<std::uint32_t>(*reference)
            : label.error() != reference.error()) {
    __builtin_trap();
  }
  if (!SameFeatures(features, reference_features)) __builtin_trap();
  if (!label) return 0;
  if (*label != 0.0f && *label != 1.0f) std::abort();
  for (const auto& f : features) {
    if (f.field > promorec::trainer::kMaxLibffmField) std::abort();
  }
  return 0;
}
