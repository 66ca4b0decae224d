// libFuzzer target for the agent checkpoint decoder: any input either fails
// with Corruption or decodes to entries whose encoding decodes to them again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promorec/agent/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = promorec::agent::DecodeCheckpoint(text);
  if (!decoded) {
    if (decoded.error().code() != promorec::base::Code::kCorruption) std::abort();
    return 0;
  }
  auto again = promorec::agent::DecodeCheckpoint(promorec::agent::EncodeCheckpoint(*decoded));
  if (!again || *again != *decoded) std::abort();
  return 0;
}
