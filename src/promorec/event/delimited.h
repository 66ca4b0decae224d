// The delimited-text codec behind the classic click line and KASANDR files:
// one event per line, fields split at a one-byte separator, columns mapped to
// event fields by a layout. Neither format quotes fields, so a separator or a
// line break inside a value cannot be carried (the encoder refuses it).
// Thread-safety: a layout is immutable after construction; the functions are
// reentrant.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

enum class Column : std::uint8_t {
  kUserId,
  kOfferId,
  kCountry,
  kCategory,
  kMerchant,
  kUtcDate,
  kRating,
  kExtra,  // any other column: kept in the event's attributes under its name
};

class ColumnLayout {
 public:
  // The seven columns of the classic line, comma-separated.
  static ColumnLayout Classic();

  // A KASANDR header line: tab-separated when it contains a tab, otherwise
  // comma-separated; the seven named columns in any order, each exactly once;
  // other columns become attributes.
  static std::expected<ColumnLayout, FieldError> FromHeader(std::string_view header);

  char separator() const { return separator_; }
  const std::vector<Column>& columns() const { return columns_; }
  const std::vector<std::string>& names() const { return names_; }

  // "userid,offerid,..." in this layout's order and separator.
  std::string HeaderLine() const;

 private:
  ColumnLayout(char separator, std::vector<Column> columns, std::vector<std::string> names)
      : separator_(separator), columns_(std::move(columns)), names_(std::move(names)) {}

  char separator_;
  std::vector<Column> columns_;
  std::vector<std::string> names_;
};

// Decodes one line (without its line break; a trailing '\r' is ignored) into
// `out`, which is cleared first and keeps its capacity. Assigns the content
// event id. `scratch` is reused between calls.
DecodeStatus ParseDelimitedLine(const ColumnLayout& layout, std::string_view line, ClickEvent* out,
                                std::string* scratch);

// Whether `line` is the header a classic click file may start with
// ("userid,offerid,..."): readers skip it rather than reject it.
bool IsClassicHeaderLine(std::string_view line);

// Appends the event as one line (no line break). Fails when a value holds
// the separator or a line break. Fields the layout has no column for (event
// id, price, ...) are not written.
DecodeStatus AppendDelimitedLine(const ColumnLayout& layout, const ClickEvent& event,
                                 std::string* out);

}  // namespace promorec::event
