// The events of a request body, by content type: one JSON event, an array
// or NDJSON (application/json, application/x-ndjson), or classic click
// lines (text/csv, text/plain:
// userid,offerid,countrycode,category,merchant,utcdate,rating, with an
// optional header line). Each bad record is kept with its position and
// reason and never fails the good ones.
//
// Thread-safety: DecodeEventsBody may run on many threads at once (each
// thread keeps its own decoder and buffers). A DecodedEvents is used by one
// thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"

namespace promorec::ingest {

// What a body held. Reused from request to request, it keeps its storage
// (and its events' strings) so that decoding allocates nothing in the
// steady state.
class DecodedEvents {
 public:
  // The good events, in body order.
  std::span<const event::ClickEvent> events() const { return {events_.data(), event_count_}; }
  // Position of each rejected record in the body (0-based, good and bad
  // records counted alike) and why.
  const std::vector<std::pair<std::uint64_t, event::Rejection>>& rejected() const {
    return rejected_;
  }

  // Empties both lists, keeping their storage.
  void Clear();
  // Takes the event's contents, leaving it holding those of a used slot
  // (whose strings keep their capacity for the next event decoded into it).
  void TakeEvent(event::ClickEvent& event);
  void AddRejection(std::uint64_t index, event::Rejection rejection);

 private:
  std::vector<event::ClickEvent> events_;  // the first event_count_ are in use
  std::size_t event_count_ = 0;
  std::vector<std::pair<std::uint64_t, event::Rejection>> rejected_;
};

// Bodies larger than this are decoded with buffers of their own, so that a
// rare huge body does not leave every thread holding its memory.
inline constexpr std::size_t kMaxReusedBodyBytes = 256 << 10;

// Decodes the body by content type into `*out` (cleared first); events
// without a timestamp get `now_us`. InvalidArgument names an unsupported
// content type.
[[nodiscard]] base::Status DecodeEventsBody(std::string_view content_type, std::string_view body,
                                            std::int64_t now_us, DecodedEvents* out);

}  // namespace promorec::ingest
