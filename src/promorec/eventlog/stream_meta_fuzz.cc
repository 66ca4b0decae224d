// Fuzzes the STREAM file decoder: no input may crash it, and whatever it
// accepts must encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promorec/eventlog/stream_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto meta = promorec::eventlog::DecodeStreamMeta(bytes);
  if (!meta) return 0;
  if (promorec::eventlog::EncodeStreamMeta(*meta) != bytes) std::abort();
  return 0;
}
