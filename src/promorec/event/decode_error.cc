#include "promorec/event/decode_error.h"

#include <cstdio>
#include <string>

namespace promorec::event {

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kWrongFieldCount:
      return "wrong_field_count";
    case Reason::kMissingField:
      return "missing_field";
    case Reason::kEmptyField:
      return "empty_field";
    case Reason::kBadTimestamp:
      return "bad_timestamp";
    case Reason::kBadRating:
      return "bad_rating";
    case Reason::kBadNumber:
      return "bad_number";
    case Reason::kWrongType:
      return "wrong_type";
    case Reason::kInvalidUtf8:
      return "invalid_utf8";
    case Reason::kFieldTooLong:
      return "field_too_long";
    case Reason::kLineTooLong:
      return "line_too_long";
    case Reason::kTruncated:
      return "truncated";
    case Reason::kBadJson:
      return "bad_json";
    case Reason::kBadHeader:
      return "bad_header";
    case Reason::kBadRecord:
      return "bad_record";
    case Reason::kUnsupportedVersion:
      return "unsupported_version";
    case Reason::kChecksumMismatch:
      return "checksum_mismatch";
    case Reason::kBadType:
      return "bad_type";
  }
  return "unknown";
}

std::string FieldError::ToString() const {
  if (field.empty()) return detail;
  std::string out = "field '";
  out += field;
  out += "': ";
  out += detail;
  return out;
}

std::string QuoteForError(std::string_view value) {
  constexpr std::size_t kMaxShown = 60;
  std::string out = "\"";
  std::size_t shown = 0;
  for (std::size_t i = 0; i < value.size() && shown < kMaxShown; ++i, ++shown) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      // Non-ASCII bytes are shown escaped: the value may not be valid UTF-8.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (value.size() > kMaxShown) {
    out += "... (";
    out += std::to_string(value.size());
    out += " bytes)";
  }
  return out;
}

std::string Rejection::ToString() const {
  std::string out = source;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += " (byte ";
  out += std::to_string(offset);
  out += "): ";
  out += error.ToString();
  return out;
}

}  // namespace promorec::event
