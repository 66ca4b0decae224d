#include "promorec/http/ingest_api.h"

#include <charconv>

#include "promorec/base/json_string.h"
#include "promorec/base/strings.h"
#include "promorec/event/delimited.h"
#include "promorec/event/json_codec.h"

namespace promorec::http {
namespace {

// Bodies up to this size are decoded with the thread's reused decoder and
// buffers; a larger one gets its own, so that a rare huge body does not
// leave every thread holding its memory.
constexpr std::size_t kMaxReusedBodyBytes = 256 << 10;

void DecodeClickLines(std::string_view body, DecodedEvents* out) {
  static const event::ColumnLayout kLayout = event::ColumnLayout::Classic();
  thread_local event::ClickEvent e;
  thread_local std::string scratch;
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
    if (line_number == 1 && event::IsClassicHeaderLine(line)) continue;
    if (auto decoded = event::ParseDelimitedLine(kLayout, line, &e, &scratch); decoded) {
      out->TakeEvent(e);
    } else {
      event::Rejection r;
      r.source = "http";
      r.line = line_number;
      r.offset = offset;
      r.error = decoded.error();
      r.raw = std::string(line.substr(0, 1024));
      out->AddRejection(index, std::move(r));
    }
    ++index;
  }
}

void DecodeJson(event::JsonEventDecoder* decoder, std::string_view body, std::int64_t now_us,
                DecodedEvents* out) {
  decoder->set_default_timestamp_us(now_us);
  decoder->Decode(
      body, "http", [out](event::ClickEvent& e, std::uint64_t) { out->TakeEvent(e); },
      [out](const event::Rejection& r, std::uint64_t index) { out->AddRejection(index, r); });
}

void AppendNumber(std::uint64_t value, std::string* out) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out->append(digits, end);
}

// {"accepted":N,"rejected":[...]}
void AppendReply(const DecodedEvents& decoded, std::string* out) {
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

void DecodedEvents::Clear() {
  event_count_ = 0;
  rejected_.clear();
}

void DecodedEvents::TakeEvent(event::ClickEvent& event) {
  if (event_count_ == events_.size()) events_.emplace_back();
  using std::swap;
  swap(events_[event_count_], event);
  ++event_count_;
}

void DecodedEvents::AddRejection(std::uint64_t index, event::Rejection rejection) {
  rejected_.emplace_back(index, std::move(rejection));
}

base::Status DecodeEventsBody(std::string_view content_type, std::string_view body,
                              std::int64_t now_us, DecodedEvents* out) {
  out->Clear();
  const std::string_view type = base::MediaType(content_type);
  if (type == "text/csv" || type == "text/plain") {
    DecodeClickLines(body, out);
    return {};
  }
  if (type != "application/json" && type != "application/x-ndjson" && !type.empty()) {
    return base::InvalidArgument("content type '" + std::string(type) +
                                 "' is not one of application/json, application/x-ndjson, "
                                 "text/csv");
  }
  if (body.size() > kMaxReusedBodyBytes) {
    event::JsonEventDecoder decoder;
    DecodeJson(&decoder, body, now_us, out);
  } else {
    thread_local event::JsonEventDecoder decoder;
    DecodeJson(&decoder, body, now_us, out);
  }
  return {};
}

Response HandleEvents(const Request& request, std::int64_t now_us, const AppendEvents& append,
                      const ObserveEvents& observe) {
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ErrorResponse(400, "empty_body", "the request has no events");
  }
  thread_local DecodedEvents reused;
  DecodedEvents large;
  DecodedEvents& decoded = request.body.size() > kMaxReusedBodyBytes ? large : reused;
  if (auto status =
          DecodeEventsBody(request.Header("content-type"), request.body, now_us, &decoded);
      !status) {
    return ErrorResponse(415, "unsupported_media_type", status.error().message());
  }
  if (!decoded.events().empty()) {
    if (auto appended = append(decoded.events()); !appended) {
      return ErrorResponse(503, "log_unavailable",
                           "events not stored: " + appended.error().ToString());
    }
  }
  if (observe) observe(decoded);
  Response response;
  AppendReply(decoded, &response.body);
  return response;
}

}  // namespace promorec::http
