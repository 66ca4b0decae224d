// POST /v1/events: one JSON event, an array, NDJSON (application/json,
// application/x-ndjson) or classic click lines (text/csv:
// userid,offerid,countrycode,category,merchant,utcdate,rating). Every good
// event is handed to `append` (which returns once they are durable) before
// the answer; each bad one is listed with its position and reason and never
// fails the good ones.
//
//   200 {"accepted":N,"rejected":[{"index":i,"line":l,"reason":"bad_rating",
//        "field":"rating","message":"..."}]}
//   415 unknown content type; 400 an empty body; 503 when append fails
//   (nothing in that request is acknowledged).
// Thread-safety: HandleEvents may run on many threads at once (each thread
// keeps its own decoder and buffers). A DecodedEvents is used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"
#include "promorec/http/server.h"

namespace promorec::http {

using AppendEvents = std::function<base::Status(std::span<const event::ClickEvent>)>;

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

// Decodes the body by content type into `*out` (cleared first); events
// without a timestamp get `now_us`. An error names an unsupported content
// type.
base::Status DecodeEventsBody(std::string_view content_type, std::string_view body,
                              std::int64_t now_us, DecodedEvents* out);

// Told what each request held, after the append (for counters).
using ObserveEvents = std::function<void(const DecodedEvents&)>;

Response HandleEvents(const Request& request, std::int64_t now_us, const AppendEvents& append,
                      const ObserveEvents& observe = {});

}  // namespace promorec::http
