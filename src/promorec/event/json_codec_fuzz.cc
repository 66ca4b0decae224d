// libFuzzer target for the JSON codec: any bytes must decode without a
// crash or sanitizer report, every rejection must point inside the input,
// and every accepted event must survive encode -> decode unchanged (through
// JSON and through the binary record). Seed corpus: tests/corpus/json/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/event/binary_record.h"
#include "promorec/event/json_codec.h"

namespace {

using promorec::event::ClickEvent;
using promorec::event::JsonEventDecoder;
using promorec::event::Rejection;

void CheckRoundTrip(const ClickEvent& event, JsonEventDecoder* decoder) {
  std::string json;
  promorec::event::AppendJsonEvent(event, &json);
  ClickEvent back;
  if (!decoder->DecodeOne(json, &back) || !(back == event)) std::abort();
  std::string record;
  promorec::event::AppendBinaryRecord(event, &record);
  if (!promorec::event::DecodeBinaryRecord(record, &back) || !(back == event)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Reused across inputs, as a server thread would reuse them.
  static JsonEventDecoder decoder;
  static JsonEventDecoder checker;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::uint64_t expected_index = 0;
  const auto stats = decoder.Decode(
      body, "fuzz",
      [&](const ClickEvent& event, std::uint64_t index) {
        if (index != expected_index++ || event.event_id.empty()) std::abort();
        CheckRoundTrip(event, &checker);
      },
      [&](const Rejection& rejection, std::uint64_t index) {
        if (index != expected_index++ || rejection.offset > size || rejection.line == 0 ||
            rejection.raw.size() > 1024 || rejection.ToString().empty()) {
          std::abort();
        }
      });
  if (stats.accepted + stats.rejected != expected_index) std::abort();
  return 0;
}
