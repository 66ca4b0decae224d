// Internal to the JSON codec: decodes one JSON object text into a
// ClickEvent (field rules in json_codec.h). Kept apart from the batch
// framing (json_codec.cc) so each stays small; includes simdjson, which the
// public header does not.
// Thread-safety: holds a parser and buffers; one per thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

class JsonObjectDecoder {
 public:
  // Decodes `record`, one JSON object with optional surrounding whitespace,
  // into `*out` (cleared first), validates it and derives its event id when
  // it has none. `record` need not be padded: it is copied into a padded
  // buffer that is reused between calls.
  [[nodiscard]] DecodeStatus Decode(std::string_view record,
                                    std::optional<std::int64_t> default_timestamp_us,
                                    ClickEvent* out);

  // Decode for a record inside a larger buffer, parsed where it is: at least
  // `readable` bytes from record.data() may be read, and `readable` is at
  // least record.size() + simdjson::SIMDJSON_PADDING (what the bytes after
  // the record hold does not matter).
  [[nodiscard]] DecodeStatus DecodeInPlace(std::string_view record, std::size_t readable,
                                           std::optional<std::int64_t> default_timestamp_us,
                                           ClickEvent* out);

 private:
  simdjson::ondemand::parser parser_;
  std::string buffer_;
  std::string scratch_;
};

}  // namespace promorec::event
