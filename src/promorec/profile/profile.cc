#include "promorec/profile/profile.h"

#include <algorithm>

#include "promorec/event/limits.h"

namespace promorec::profile {
namespace {

void Keep(const std::string& value, std::string* field) {
  if (!value.empty() && value.size() <= event::kMaxIdBytes) *field = value;
}

}  // namespace

void ApplyEvent(const event::ClickEvent& event, Profile* profile) {
  const bool first = profile->events == 0;
  if (first || event.timestamp_us >= profile->last_seen_us) {
    Keep(event.country, &profile->country);
    Keep(event.category, &profile->last_category);
    Keep(event.product, &profile->last_product);
  }
  profile->first_seen_us =
      first ? event.timestamp_us : std::min(profile->first_seen_us, event.timestamp_us);
  profile->last_seen_us =
      first ? event.timestamp_us : std::max(profile->last_seen_us, event.timestamp_us);
  ++profile->events;
  if (event.rating == 1) ++profile->clicks;
}

}  // namespace promorec::profile
