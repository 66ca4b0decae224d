#include "promorec/notify/notification.h"

#include <string>

#include "promorec/base/json_string.h"

namespace promorec::notify {

std::string NotificationJson(const Notification& n) {
  std::string out;
  out.reserve(256 + n.message.size());
  const auto field = [&out](const char* key, const std::string& value) {
    out += out.empty() ? "{\"" : ",\"";
    out += key;
    out += "\":";
    base::AppendJsonString(value, &out);
  };
  field("decision_id", n.decision_id);
  field("position", n.position);
  field("user_id", n.user_id);
  field("promotion_id", n.promotion_id);
  field("promotion_code", n.promotion_code);
  field("product", n.product);
  out += ",\"time_us\":";
  out += std::to_string(n.time_us);
  field("subject", n.subject);
  field("message", n.message);
  out += '}';
  return out;
}

}  // namespace promorec::notify
