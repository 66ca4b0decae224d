// What went wrong with one input record: the reason (a stable name, used to
// count rejects), the field, and a sentence for people. A Rejection adds
// where the record was (source, line, byte offset) and the raw text.
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace promorec::event {

enum class Reason : std::uint8_t {
  kWrongFieldCount,
  kMissingField,
  kEmptyField,
  kBadTimestamp,
  kBadRating,
  kBadNumber,
  kWrongType,
  kInvalidUtf8,
  kFieldTooLong,
  kLineTooLong,
  kTruncated,
  kBadJson,
  kBadHeader,
  kBadRecord,
  kUnsupportedVersion,
  kChecksumMismatch,
  // An event type other than view, click or buy.
  kBadType,
};

inline constexpr int kReasonCount = 17;

// Stable snake_case name: "wrong_field_count", "bad_rating", ...
std::string_view ReasonName(Reason reason);

struct FieldError {
  Reason reason;
  // The field at fault as the input names it ("rating", "utcdate"); empty
  // when the error is about the whole record.
  std::string field;
  // Why, with the offending value where it helps: `must be 0 or 1, got "2"`.
  std::string detail;

  // `field 'rating': must be 0 or 1, got "2"`.
  std::string ToString() const;

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

using DecodeStatus = std::expected<void, FieldError>;

inline std::unexpected<FieldError> Reject(Reason reason, std::string_view field,
                                          std::string detail) {
  return std::unexpected<FieldError>(std::in_place, reason, std::string(field), std::move(detail));
}

// `value` quoted for an error message, cut to a readable length and with
// control characters and invalid bytes escaped.
std::string QuoteForError(std::string_view value);

struct Rejection {
  std::string source;        // file name, "http", ...
  std::uint64_t line = 0;    // 1-based; 0 when the input has no lines
  std::uint64_t offset = 0;  // byte offset of the record in the input
  FieldError error;
  std::string raw;  // the record as received, cut to 1 KiB

  // `train.csv:17 (byte 1234): field 'rating': must be 0 or 1, got "2"`.
  std::string ToString() const;
};

}  // namespace promorec::event
