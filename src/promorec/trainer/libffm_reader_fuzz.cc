// Fuzzes the libffm line parser: no input may crash it, and every accepted
// line's features must be in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "promorec/trainer/libffm_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  std::vector<promorec::model::Feature> features;
  auto label = promorec::trainer::ParseLibffmLine(line, &features);
  if (!label) return 0;
  if (*label != 0.0f && *label != 1.0f) std::abort();
  for (const auto& f : features) {
    if (f.field > promorec::trainer::kMaxLibffmField) std::abort();
  }
  return 0;
}
