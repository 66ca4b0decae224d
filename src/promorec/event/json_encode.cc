// AppendJsonEvent (declared in json_codec.h).
#include <charconv>
#include <cmath>
#include <limits>

#include "promorec/base/json_string.h"
#include "promorec/event/json_codec.h"
#include "promorec/event/timestamp.h"

namespace promorec::event {
namespace {

class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  ~ObjectWriter() { out_->push_back('}'); }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  void Key(std::string_view name) {
    if (!first_) out_->push_back(',');
    first_ = false;
    base::AppendJsonString(name, out_);
    out_->push_back(':');
  }

  void String(std::string_view name, std::string_view value) {
    Key(name);
    base::AppendJsonString(value, out_);
  }

  void StringIfSet(std::string_view name, std::string_view value) {
    if (!value.empty()) String(name, value);
  }

 private:
  std::string* out_;
  bool first_ = true;
};

void AppendTimestamp(std::int64_t timestamp_us, std::string* out) {
  if (timestamp_us >= 0) return AppendEpochSeconds(timestamp_us, out);
  // Only an invalid event gets here; keep the output valid JSON.
  out->push_back('-');
  AppendEpochSeconds(timestamp_us == std::numeric_limits<std::int64_t>::min()
                         ? std::numeric_limits<std::int64_t>::max()
                         : -timestamp_us,
                     out);
}

void AppendDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  // Shortest text that reads back as the same double.
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, result.ptr);
}

}  // namespace

void AppendJsonEvent(const ClickEvent& event, std::string* out) {
  ObjectWriter writer(out);
  writer.StringIfSet("event_id", event.event_id);
  writer.String("user_id", event.user_id);
  writer.StringIfSet("offer_id", event.offer_id);
  writer.StringIfSet("country", event.country);
  writer.StringIfSet("category", event.category);
  writer.String("product", event.product);
  writer.Key("timestamp");
  AppendTimestamp(event.timestamp_us, out);
  writer.Key("rating");
  out->append(std::to_string(event.rating));
  writer.String("type", EventTypeName(event.type));
  writer.StringIfSet("promotion_code", event.promotion_code);
  if (event.price) {
    writer.Key("price");
    AppendDouble(*event.price, out);
  }
  if (event.quantity) {
    writer.Key("quantity");
    out->append(std::to_string(*event.quantity));
  }
  writer.StringIfSet("session_id", event.session_id);
  if (!event.attributes.empty()) {
    writer.Key("attributes");
    ObjectWriter attributes(out);
    for (const auto& [key, value] : event.attributes) attributes.String(key, value);
  }
}

}  // namespace promorec::event
