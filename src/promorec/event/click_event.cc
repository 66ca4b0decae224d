#include "promorec/event/click_event.h"

namespace promorec::event {

void ClickEvent::Clear() {
  event_id.clear();
  user_id.clear();
  offer_id.clear();
  country.clear();
  category.clear();
  product.clear();
  timestamp_us = 0;
  rating = 0;
  price.reset();
  quantity.reset();
  session_id.clear();
  attributes.clear();
}

}  // namespace promorec::event
