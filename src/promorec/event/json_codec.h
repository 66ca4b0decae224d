// The JSON event codec: the one place that turns JSON, JSON arrays and NDJSON
// bodies into ClickEvents, and ClickEvents into JSON. Used by POST /v1/events,
// the import command and anything else that speaks the JSON event format
// (docs: "Outside interfaces" in DESIGN.md).
//
// An event is one JSON object:
//   {"event_id": "...", "user_id": "...", "offer_id": "...", "country": "de",
//    "category": "...", "product": "...", "timestamp": 1518318207.8448,
//    "rating": 1, "price": 12.5, "quantity": 1, "session_id": "...",
//    "attributes": {"color": "red", "size": 42, "gift": true}}
// - user_id, product and rating are required. The classic click line's names
//   are aliases: userid, offerid, countrycode, merchant, utcdate. A field
//   given twice (also as name and alias) rejects the record; unknown fields
//   are ignored, so producers can add fields before we read them.
// - Ids are strings; a JSON number is accepted and kept as its text.
// - timestamp: epoch seconds as a number (its text is parsed, so 1518318207.8448
//   is exact to the microsecond) or a string (epoch seconds or a UTC
//   date-time, see timestamp.h). Absent: the decoder's default (0 unless set).
// - rating: 0 or 1, as a number or a string ("0"/"1", as classic data has it).
// - price: a number >= 0; quantity: a whole number 0..4294967295.
// - attributes: an object whose values are strings, numbers or booleans;
//   numbers and booleans are kept as their JSON text. Keys may repeat and
//   keep their order (ClickEvent keeps a list of pairs).
// - null means "absent" for every field.
// - A wrong JSON type is Reason::kWrongType; field names in errors are the
//   ones the input used ("userid" if the alias was used).
//
// Thread-safety: JsonEventDecoder holds a reusable parser and buffers; use
// one per thread. AppendJsonEvent is a pure function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

// A non-owning reference to a callable, so that callers pass lambdas without
// a std::function allocation. The callable must outlive the call it is
// passed to (a lambda written in the call's argument list does).
template <typename Signature>
class CallbackRef;

template <typename R, typename... Args>
class CallbackRef<R(Args...)> {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, CallbackRef> &&
           std::is_invocable_r_v<R, F&, Args...>) CallbackRef(F&& f)
  noexcept  // NOLINT(google-explicit-constructor): by design
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return std::invoke(*static_cast<std::remove_reference_t<F>*>(object),
                             std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

// `index` is the 0-based position of the record in the body, counting good
// and bad records alike, so a caller can answer "record 3 was rejected".
// The event is the decoder's: a callback may copy it, or take its contents
// (swap them with an event of its own), since it is cleared before the
// next record is decoded into it.
using JsonEventFn = CallbackRef<void(ClickEvent& event, std::uint64_t index)>;
using JsonRejectFn = CallbackRef<void(const Rejection& rejection, std::uint64_t index)>;

enum class JsonLayout : std::uint8_t {
  kEmpty,    // nothing but whitespace
  kArray,    // [ {...}, {...} ]
  kNdjson,   // one object per line
  kObjects,  // objects one after another, each possibly over many lines
};

struct JsonBatchStats {
  JsonLayout layout = JsonLayout::kEmpty;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  // False when a broken array, or an object cut off at the end of the input,
  // stopped decoding early; the last rejection says where.
  bool complete = true;
};

class JsonObjectDecoder;

class JsonEventDecoder {
 public:
  JsonEventDecoder();
  ~JsonEventDecoder();
  JsonEventDecoder(JsonEventDecoder&&) noexcept;
  JsonEventDecoder& operator=(JsonEventDecoder&&) noexcept;
  JsonEventDecoder(const JsonEventDecoder&) = delete;
  JsonEventDecoder& operator=(const JsonEventDecoder&) = delete;

  // The timestamp given to events that carry none (e.g. the time a request
  // arrived). The content id is that of the event as sent, without it, so
  // a retry sent later gets the same id.
  void set_default_timestamp_us(std::int64_t timestamp_us);
  // Makes a missing timestamp an error (Reason::kMissingField) instead, for
  // sources where no sensible default exists, such as files of past events.
  void set_timestamp_required();

  // Decodes `body`: one event object, an array of them, NDJSON (one object
  // per line, blank lines skipped) or objects one after another (pretty-
  // printed). Which one is decided from the body:
  //   - first non-blank byte '[' -> array;
  //   - the first object ends on its first line, or the next non-blank line
  //     starts with '{' -> NDJSON;
  //   - otherwise objects one after another, found by brace matching.
  // Calls on_event for each good record and on_reject for each bad one.
  // A bad record never stops the rest, except when the framing itself breaks
  // (an array not closed or malformed between elements, an object cut off at
  // the end): that is one last rejection and the end of decoding.
  // Rejection::line is the line the record starts on; offset its first byte;
  // source is `source`. NDJSON lines over kMaxLineBytes are rejected unread.
  // The event given to on_event is reused for the next record: copy or take
  // what you keep. Callbacks must not call Decode on this decoder.
  JsonBatchStats Decode(std::string_view body, std::string_view source, JsonEventFn on_event,
                        JsonRejectFn on_reject);

  // Exactly one object (surrounding whitespace allowed), e.g. the payload of
  // one Kinesis record. `*out` is valid only when the result is ok.
  [[nodiscard]] DecodeStatus DecodeOne(std::string_view json, ClickEvent* out);

 private:
  std::unique_ptr<JsonObjectDecoder> object_decoder_;
  // The body being decoded, padded for the parser, which reads each record
  // in place; reused between calls.
  std::string padded_;
  std::optional<std::int64_t> default_timestamp_us_ = 0;
  // Reused for every record, so steady-state decoding allocates little.
  ClickEvent event_;
};

// Appends `event` as one line-free JSON object with the canonical field
// names; optional fields only when set, the timestamp as epoch seconds. A
// valid event decodes back equal (event_id included). A price that is not
// finite (an invalid event) is written as null.
void AppendJsonEvent(const ClickEvent& event, std::string* out);

}  // namespace promorec::event
