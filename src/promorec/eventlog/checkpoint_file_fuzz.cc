// libFuzzer target for the checkpoint file: any bytes must decode without a
// crash or sanitizer report, and whatever decodes must encode back to the
// same bytes (one encoding per checkpoint). Random bytes almost never carry
// a valid CRC, so each input is also tried with the magic and the CRC made
// right, to reach the checks behind them. Seed corpus: tests/corpus/eventlog/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"
#include "promorec/eventlog/checkpoint_file.h"

namespace {

namespace eventlog = promorec::eventlog;
namespace base = promorec::base;

void Check(std::string_view bytes) {
  auto decoded = eventlog::DecodeCheckpoint(bytes);
  if (!decoded) {
    if (decoded.error().message().empty()) std::abort();
    return;
  }
  if (eventlog::EncodeCheckpoint(*decoded) != bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(input);
  if (size >= 36) {
    std::string sealed(input.substr(0, 36));
    sealed.replace(0, 8, "PROMOCKP");
    eventlog::PutFixed32(&sealed, base::Crc32cMask(base::Crc32c(sealed)));
    Check(sealed);
  }
  return 0;
}
