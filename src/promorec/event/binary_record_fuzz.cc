// libFuzzer target for the binary event record: any bytes must decode
// without a crash or sanitizer report, and every accepted record must be
// canonical (re-encoding a record of the newest version gives the same
// bytes; an older one gives the same event) and carry an event that the
// JSON codec round-trips too. Random bytes almost never carry a valid
// checksum, so each input is also tried with its last 4 bytes replaced by
// the right one, to reach the code behind the checksum. The decoder for
// records validated before they were written must accept every record the
// full decoder accepts, as the same event. Seed corpus:
// tests/corpus/binary/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/base/crc32c.h"
#include "promorec/event/binary_record.h"
#include "promorec/event/json_codec.h"

using promorec::event::ClickEvent;

namespace {

void Check(std::string_view input, promorec::event::JsonEventDecoder* json_decoder) {
  ClickEvent event;
  auto status = promorec::event::DecodeBinaryRecord(input, &event);
  // Without the event checks, a record decodes when its layout and
  // checksum hold: always when the full decoder accepts it, to the same
  // event.
  ClickEvent unchecked;
  auto layout = promorec::event::DecodeValidatedBinaryRecord(input, &unchecked);
  if (status && (!layout || !(unchecked == event))) std::abort();
  if (!layout && layout.error().ToString().empty()) std::abort();
  if (!status) {
    if (status.error().ToString().empty()) std::abort();
    return;
  }
  std::string record;
  promorec::event::AppendBinaryRecord(event, &record);
  // Writers write the newest version; an older record re-encodes to the
  // same event in the newest layout.
  const bool newest = static_cast<std::uint8_t>(input[1]) == promorec::event::kBinaryRecordVersion;
  if (newest && record != input) std::abort();
  ClickEvent back;
  if (!promorec::event::DecodeBinaryRecord(record, &back) || !(back == event)) std::abort();
  // The JSON decoder derives an id for events without one, so compare only
  // events that carry theirs.
  if (!event.event_id.empty()) {
    std::string json;
    promorec::event::AppendJsonEvent(event, &json);
    if (!json_decoder->DecodeOne(json, &back) || !(back == event)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static promorec::event::JsonEventDecoder json_decoder;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Check(input, &json_decoder);
  if (size >= 4) {
    std::string sealed(input.substr(0, size - 4));
    const std::uint32_t crc = promorec::base::Crc32cMask(promorec::base::Crc32c(sealed));
    for (int i = 0; i < 4; ++i) sealed.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
    Check(sealed, &json_decoder);
  }
  return 0;
}
