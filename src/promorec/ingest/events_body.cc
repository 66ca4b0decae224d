#include "promorec/ingest/events_body.h"

#include "promorec/base/strings.h"
#include "promorec/event/delimited.h"
#include "promorec/event/json_codec.h"

namespace promorec::ingest {
namespace {

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

}  // namespace promorec::ingest
