#include "promorec/event/click_event.h"

namespace promorec::event {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kView:
      return "view";
    case EventType::kClick:
      return "click";
    case EventType::kBuy:
      return "buy";
  }
  return "unknown";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  if (name == "view") return EventType::kView;
  if (name == "click") return EventType::kClick;
  if (name == "buy") return EventType::kBuy;
  return std::nullopt;
}

void ClickEvent::Clear() {
  event_id.clear();
  user_id.clear();
  offer_id.clear();
  country.clear();
  category.clear();
  product.clear();
  timestamp_us = 0;
  rating = 0;
  type = EventType::kView;
  promotion_code.clear();
  price.reset();
  quantity.reset();
  session_id.clear();
  attributes.clear();
}

void swap(ClickEvent& a, ClickEvent& b) noexcept {
  a.event_id.swap(b.event_id);
  a.user_id.swap(b.user_id);
  a.offer_id.swap(b.offer_id);
  a.country.swap(b.country);
  a.category.swap(b.category);
  a.product.swap(b.product);
  std::swap(a.timestamp_us, b.timestamp_us);
  std::swap(a.rating, b.rating);
  std::swap(a.type, b.type);
  a.promotion_code.swap(b.promotion_code);
  std::swap(a.price, b.price);
  std::swap(a.quantity, b.quantity);
  a.session_id.swap(b.session_id);
  a.attributes.swap(b.attributes);
}

}  // namespace promorec::event
