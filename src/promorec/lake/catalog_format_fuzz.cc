// libFuzzer target for the lake catalog parser: any input either fails with
// Corruption or decodes to an entry whose encoding decodes to it again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "promorec/lake/catalog_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace lake = promorec::lake;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = lake::DecodeCatalog(text);
  if (!decoded) {
    if (decoded.error().code() != promorec::base::Code::kCorruption) std::abort();
    return 0;
  }
  auto again = lake::DecodeCatalog(lake::EncodeCatalog(*decoded));
  if (!again || *again != *decoded) std::abort();
  return 0;
}
