// Fuzzes KASANDR input: the first line is the header, the rest are rows.
// Nothing may crash; every decoded row must round-trip through the encoder.
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
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t header_end = input.find('\n');
  if (header_end == std::string_view::npos) {
    (void)ColumnLayout::FromHeader(input);
    return 0;
  }
  auto layout = ColumnLayout::FromHeader(input.substr(0, header_end));
  if (!layout) return 0;
  input.remove_prefix(header_end + 1);
  promorec::event::ClickEvent event;
  promorec::event::ClickEvent again;
  std::string scratch;
  std::string encoded;
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
    if (!ParseDelimitedLine(*layout, line, &event, &scratch)) continue;
    encoded.clear();
    if (!AppendDelimitedLine(*layout, event, &encoded)) std::abort();
    if (!ParseDelimitedLine(*layout, encoded, &again, &scratch)) std::abort();
    if (!(again == event)) std::abort();
  }
  return 0;
}
