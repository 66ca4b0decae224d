// libFuzzer target for the live event id (Last-Event-ID) parser: any bytes
// must parse or be refused without a crash or sanitizer report; a refusal
// carries a message; an accepted id is canonical (it formats back to the
// same bytes) and orders like its numbers. Seed corpus:
// tests/corpus/live-position/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promorec/notify/live_position.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = promorec::notify::ParseLivePosition(input);
  if (!parsed) {
    if (parsed.error().message().empty() ||
        parsed.error().code() != promorec::base::Code::kInvalidArgument) {
      std::abort();
    }
    return 0;
  }
  if (promorec::notify::FormatLivePosition(*parsed) != input) std::abort();
  if (!promorec::notify::AtOrBefore(*parsed, *parsed)) std::abort();
  promorec::notify::LivePosition next = *parsed;
  if (next.sequence < UINT64_MAX) {
    ++next.sequence;
    if (promorec::notify::AtOrBefore(next, *parsed)) std::abort();
  }
  return 0;
}
