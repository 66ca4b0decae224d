#include "promorec/http/ingest_api.h"

#include "promorec/base/json_string.h"
#include "promorec/event/delimited.h"
#include "promorec/event/json_codec.h"

namespace promorec::http {
namespace {

// "application/json; charset=utf-8" -> "application/json".
std::string_view MediaType(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  std::string_view type = content_type.substr(0, semicolon);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

DecodedEvents DecodeClickLines(std::string_view body) {
  DecodedEvents out;
  const event::ColumnLayout layout = event::ColumnLayout::Classic();
  event::ClickEvent e;
  std::string scratch;
  std::uint64_t index = 0, line_number = 0;
  std::size_t at = 0;
  while (at < body.size()) {
    std::size_t end = body.find('\n', at);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(at, end - at);
    const std::size_t offset = at;
    at = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    // A header line naming the classic columns is skipped, not rejected.
    if (line_number == 1 && line.starts_with("userid,")) continue;
    if (auto decoded = event::ParseDelimitedLine(layout, line, &e, &scratch); decoded) {
      out.events.push_back(e);
    } else {
      event::Rejection r;
      r.source = "http";
      r.line = line_number;
      r.offset = offset;
      r.error = decoded.error();
      r.raw = std::string(line.substr(0, 1024));
      out.rejected.emplace_back(index, std::move(r));
    }
    ++index;
  }
  return out;
}

}  // namespace

base::Result<DecodedEvents> DecodeEventsBody(std::string_view content_type, std::string_view body,
                                             std::int64_t now_us) {
  const std::string_view type = MediaType(content_type);
  if (type == "text/csv" || type == "text/plain") return DecodeClickLines(body);
  if (type != "application/json" && type != "application/x-ndjson" && !type.empty()) {
    return base::InvalidArgument("content type '" + std::string(type) +
                                 "' is not one of application/json, application/x-ndjson, "
                                 "text/csv");
  }
  DecodedEvents out;
  event::JsonEventDecoder decoder;
  decoder.set_default_timestamp_us(now_us);
  decoder.Decode(
      body, "http", [&](const event::ClickEvent& e, std::uint64_t) { out.events.push_back(e); },
      [&](const event::Rejection& r, std::uint64_t index) { out.rejected.emplace_back(index, r); });
  return out;
}

Response HandleEvents(const Request& request, std::int64_t now_us, const AppendEvents& append,
                      const ObserveEvents& observe) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ErrorResponse(400, "empty_body", "the request has no events");
  }
  auto decoded = DecodeEventsBody(request.Header("content-type"), request.body, now_us);
  if (!decoded) return ErrorResponse(415, "unsupported_media_type", decoded.error().message());
  if (!decoded->events.empty()) {
    if (auto appended = append(decoded->events); !appended) {
      return ErrorResponse(503, "log_unavailable",
                           "events not stored: " + appended.error().ToString());
    }
  }
  if (observe) observe(*decoded);
  Response response;
  response.body = "{\"accepted\":" + std::to_string(decoded->events.size()) + ",\"rejected\":[";
  bool first = true;
  for (const auto& [index, r] : decoded->rejected) {
    if (!first) response.body += ",";
    first = false;
    response.body += "{\"index\":" + std::to_string(index) + ",\"line\":" + std::to_string(r.line) +
                     ",\"reason\":";
    base::AppendJsonString(event::ReasonName(r.error.reason), &response.body);
    response.body += ",\"field\":";
    base::AppendJsonString(r.error.field, &response.body);
    response.body += ",\"message\":";
    base::AppendJsonString(r.error.ToString(), &response.body);
    response.body += "}";
  }
  response.body += "]}\n";
  return response;
}

}  // namespace promorec::http
