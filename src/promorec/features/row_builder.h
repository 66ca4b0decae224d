// Click events to model rows: the fields the model sees, named as in the
// original system (userid, offerid, countrycode, category, product) plus
// hour of day and day of week derived from the timestamp, each one-hot
// through the feature dictionary. Training and serving call the same code,
// so a feature means the same in both.
// Thread-safety: Build is const and reentrant; BuildForTraining changes the
// dictionary and needs exclusive access.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "promorec/event/click_event.h"
#include "promorec/model/feature_dictionary.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::features {

// Model field order.
inline constexpr std::array<std::string_view, 7> kEventFields = {
    "userid", "offerid", "countrycode", "category", "product", "hour", "weekday"};

enum EventField : std::uint32_t {
  kUser = 0,
  kOffer = 1,
  kCountry = 2,
  kCategory = 3,
  kProduct = 4,
  kHour = 5,
  kWeekday = 6,
};

// A dictionary with the event fields and no entries.
model::FeatureDictionary NewEventDictionary();

// Hour of day (0..23) and day of week (0 = Monday) of a UTC timestamp.
std::uint32_t HourOfDay(std::int64_t timestamp_us);
std::uint32_t DayOfWeek(std::int64_t timestamp_us);

// The row of `event`; values the dictionary does not know are left out (or
// fall into a field's hashed buckets). No offer ("" or "0") and empty
// fields give no feature.
void BuildRow(const model::FeatureDictionary& dictionary, const event::ClickEvent& event,
              std::vector<model::Feature>* row);

// The same, adding unknown values to the dictionary (training).
void BuildRowForTraining(model::FeatureDictionary* dictionary, const event::ClickEvent& event,
                         std::vector<model::Feature>* row);

}  // namespace promorec::features
