// A shopper's profile: what the recommender remembers about one user from
// their events (country, what they last looked at, how often they came and
// clicked), and the rule that folds one event into it.
// Thread-safety: plain value type and a pure function.
#pragma once

#include <cstdint>
#include <string>

#include "promorec/event/click_event.h"

namespace promorec::profile {

struct Profile {
  // From the latest event (by timestamp) that had a value; an event
  // without one leaves the field as it was.
  std::string country;
  std::string last_category;
  std::string last_product;
  std::uint64_t events = 0;
  // Events with rating 1: clicks and purchases.
  std::uint64_t clicks = 0;
  // Earliest and latest event timestamps, µs since the epoch.
  std::int64_t first_seen_us = 0;
  std::int64_t last_seen_us = 0;

  friend bool operator==(const Profile&, const Profile&) = default;
};

// Folds `event` into `profile`. Events may come out of timestamp order: the
// last_* fields follow the latest timestamp (of equal ones, the later
// applied), counts and the first/last seen range take every event. Values
// longer than event::kMaxIdBytes are not kept.
void ApplyEvent(const event::ClickEvent& event, Profile* profile);

}  // namespace promorec::profile
