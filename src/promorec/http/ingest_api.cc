#include "promorec/http/ingest_api.h"

#include <charconv>
#include <string>

#include "promorec/base/json_string.h"
#include "promorec/ingest/events_body.h"

namespace promorec::http {
namespace {

void AppendNumber(std::uint64_t value, std::string* out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out->append(digits, end);
}

// {"accepted":N,"rejected":[...]}
void AppendReply(const ingest::DecodedEvents& decoded, std::string* out) {
  out->reserve(40 + decoded.rejected().size() * 200);
  out->append("{\"accepted\":");
  AppendNumber(decoded.events().size(), out);
  out->append(",\"rejected\":[");
  bool first = true;
  for (const auto& [index, r] : decoded.rejected()) {
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"index\":");
    AppendNumber(index, out);
    out->append(",\"line\":");
    AppendNumber(r.line, out);
    out->append(",\"reason\":");
    base::AppendJsonString(event::ReasonName(r.error.reason), out);
    out->append(",\"field\":");
    base::AppendJsonString(r.error.field, out);
    out->append(",\"message\":");
    base::AppendJsonString(r.error.ToString(), out);
    out->push_back('}');
  }
  out->append("]}\n");
}

}  // namespace

Response HandleEvents(const Request& request, std::int64_t now_us, ingest::EventWriter& writer) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ErrorResponse(400, "empty_body", "the request has no events");
  }
  thread_local ingest::DecodedEvents reused;
  ingest::DecodedEvents large;
  ingest::DecodedEvents& decoded =
      request.body.size() > ingest::kMaxReusedBodyBytes ? large : reused;
  if (auto status =
          ingest::DecodeEventsBody(request.Header("content-type"), request.body, now_us, &decoded);
      !status) {
    return ErrorResponse(415, "unsupported_media_type", status.error().message());
  }
  if (auto appended = writer.Append(decoded.events()); !appended) {
    return ErrorResponse(503, "log_unavailable",
                         "events not stored: " + appended.error().ToString());
  }
  writer.CountDecoded(decoded);
  Response response;
  AppendReply(decoded, &response.body);
  return response;
}

}  // namespace promorec::http
