// POST /v1/events: the body's events (ingest/events_body.h) are handed to
// the ingest writer, durable before the answer; each bad one is listed with
// its position and reason and never fails the good ones.
//
//   200 {"accepted":N,"rejected":[{"index":i,"line":l,"reason":"bad_rating",
//        "field":"rating","message":"..."}]}
//   415 unknown content type; 400 an empty body; 503 when the append fails
//   (nothing in that request is acknowledged).
// Thread-safety: HandleEvents may run on many threads at once.
#pragma once

#include <cstdint>

#include "promorec/http/server.h"
#include "promorec/ingest/event_writer.h"

namespace promorec::http {

Response HandleEvents(const Request& request, std::int64_t now_us, ingest::EventWriter& writer);

}  // namespace promorec::http
