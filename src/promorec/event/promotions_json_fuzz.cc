// libFuzzer target for the promotions file: any bytes either fail with an
// InvalidArgument that names the source, or parse to promotions that
// survive write -> parse unchanged. Seed corpus: tests/corpus/promotions/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/event/promotions_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = promorec::event::ParsePromotionsJson(text, "fuzz.json");
  if (!parsed) {
    if (parsed.error().code() != promorec::base::Code::kInvalidArgument ||
        !parsed.error().message().starts_with("fuzz.json: ")) {
      std::abort();
    }
    return 0;
  }
  if (parsed->empty()) std::abort();
  std::string written;
  promorec::event::AppendPromotionsJson(*parsed, &written);
  auto again = promorec::event::ParsePromotionsJson(written, "again.json");
  if (!again || *again != *parsed) std::abort();
  return 0;
}
