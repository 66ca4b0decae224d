// The click event: one thing a shopper did (viewed or bought a product, with
// or without a promotion). Every codec in event/ produces and consumes this
// type; nothing else defines what an event is.
// Thread-safety: a plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace promorec::event {

// What the shopper did. A view is what a promotion is chosen for; a click
// (on a promotion that was shown) and a buy are the outcomes a shown
// promotion is judged by.
enum class EventType : std::uint8_t { kView = 0, kClick = 1, kBuy = 2 };
inline constexpr std::uint8_t kMaxEventType = 2;

// "view", "click", "buy".
std::string_view EventTypeName(EventType type);
// The type named by `name` (exactly as EventTypeName spells it), or none.
std::optional<EventType> ParseEventType(std::string_view name);
// The type an event has when its producer gave only a rating, as the
// classic click line does: 0 = view, 1 = buy (a conversion, with the
// line's offer as the promotion used).
inline EventType EventTypeFromRating(std::uint8_t rating) {
  return rating == 0 ? EventType::kView : EventType::kBuy;
}
// The rating a type implies: 0 for a view, 1 for a click or a buy.
inline std::uint8_t RatingOfType(EventType type) { return type == EventType::kView ? 0 : 1; }

struct ClickEvent {
  // Unique per event. When a producer sends none, codecs derive one from the
  // content (see AssignContentEventId), so a re-sent line gets the same id.
  std::string event_id;
  std::string user_id;
  // The promotion involved; empty or "0" means none.
  std::string offer_id;
  std::string country;
  std::string category;
  // The product; the classic click line and KASANDR call this column merchant.
  std::string product;
  // Microseconds since the Unix epoch, UTC.
  std::int64_t timestamp_us = 0;
  // 0 = view, 1 = click or purchase; always RatingOfType(type) (the
  // validator rejects an event where they disagree). Kept because the
  // model's label and every format before types were explicit use it.
  std::uint8_t rating = 0;
  EventType type = EventType::kView;
  // The coupon code the shopper entered or followed, if any (a code is what
  // a shopper types; offer_id is what the shop's pages know).
  std::string promotion_code;
  std::optional<double> price;
  std::optional<std::uint32_t> quantity;
  std::string session_id;
  // Free-form key/value pairs in the order the producer gave them.
  std::vector<std::pair<std::string, std::string>> attributes;

  bool HasPromotion() const { return !offer_id.empty() && offer_id != "0"; }

  // Empties every field but keeps the strings' capacity, so a reader that
  // reuses one event allocates nothing per row in the steady state.
  void Clear();

  friend bool operator==(const ClickEvent&, const ClickEvent&) = default;
  // Member by member, cheaper than std::swap's three moves; a reader that
  // hands decoded events over by swapping allocates nothing.
  friend void swap(ClickEvent& a, ClickEvent& b) noexcept;
};

}  // namespace promorec::event
