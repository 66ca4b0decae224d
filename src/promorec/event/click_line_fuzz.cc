// Fuzzes the classic click line: any bytes must decode or be rejected with a
// reason, never crash; whatever decodes must encode and decode to the same
// event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/event/delimited.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using promorec::event::AppendDelimitedLine;
  using promorec::event::ColumnLayout;
  using promorec::event::ParseDelimitedLine;
  static const ColumnLayout layout = ColumnLayout::Classic();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  promorec::event::ClickEvent event;
  std::string scratch;
  if (!ParseDelimitedLine(layout, line, &event, &scratch)) return 0;
  std::string encoded;
  if (!AppendDelimitedLine(layout, event, &encoded)) std::abort();
  promorec::event::ClickEvent again;
  if (!ParseDelimitedLine(layout, encoded, &again, &scratch)) std::abort();
  if (!(again == event)) std::abort();
  return 0;
}
