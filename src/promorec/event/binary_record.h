// The binary event record: one ClickEvent as a compact, versioned,
// checksummed byte string for the event log. The layout, its limits and what
// a decoder reports for each kind of bad input are written down in
// docs/formats/event-record.md; this file is its only implementation.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

inline constexpr std::uint8_t kBinaryRecordMagic = 0xC1;
// Writers write version 2 (the event type and promotion code); readers read
// versions 1 and 2.
inline constexpr std::uint8_t kBinaryRecordVersion = 2;
inline constexpr std::uint8_t kOldestBinaryRecordVersion = 1;
// Magic, version, flags, six empty-or-one-byte strings, timestamp, type
// (rating in version 1), checksum: no record is shorter.
inline constexpr std::size_t kMinBinaryRecordBytes = 17;

// Appends the record for `event` to `out`. `event` should pass ValidateEvent;
// an invalid event is written anyway, and DecodeBinaryRecord rejects it.
void AppendBinaryRecord(const ClickEvent& event, std::string* out);

// Decodes exactly one record (all of `data`) into `out`, then checks it
// with ValidateEvent. On error `out` holds a partly decoded event. Reuses
// `out`'s string capacity, so a reader that reuses one event allocates
// nothing per record in the steady state.
[[nodiscard]] DecodeStatus DecodeBinaryRecord(std::string_view data, ClickEvent* out);

// DecodeBinaryRecord without the ValidateEvent checks, for a reader of a
// stream whose every record was validated before it was written (the
// clicks stream, which only the ingest writer fills). The layout, the
// lengths and the checksum are still checked, so damage is still found.
[[nodiscard]] DecodeStatus DecodeValidatedBinaryRecord(std::string_view data, ClickEvent* out);

}  // namespace promorec::event
