#include "promorec/features/row_builder.h"

#include <string>

namespace promorec::features {
namespace {

constexpr std::int64_t kMicrosPerHour = 3'600'000'000LL;

// The values of the event's fields, in model field order; empty = absent.
struct FieldValues {
  std::array<std::string_view, kEventFields.size()> values;
  char hour[4];
  char weekday[2];
};

void Collect(const event::ClickEvent& event, FieldValues* out) {
  out->values[kUser] = event.user_id;
  out->values[kOffer] =
      event.HasPromotion() ? std::string_view(event.offer_id) : std::string_view();
  out->values[kCountry] = event.country;
  out->values[kCategory] = event.category;
  out->values[kProduct] = event.product;
  const std::uint32_t hour = HourOfDay(event.timestamp_us);
  out->hour[0] = static_cast<char>('0' + hour / 10);
  out->hour[1] = static_cast<char>('0' + hour % 10);
  out->values[kHour] = std::string_view(out->hour, 2);
  out->weekday[0] = static_cast<char>('0' + DayOfWeek(event.timestamp_us));
  out->values[kWeekday] = std::string_view(out->weekday, 1);
}

}  // namespace

model::FeatureDictionary NewEventDictionary() {
  std::vector<std::string> fields;
  for (const std::string_view f : kEventFields) fields.emplace_back(f);
  return model::FeatureDictionary(std::move(fields));
}

std::uint32_t HourOfDay(std::int64_t timestamp_us) {
  return static_cast<std::uint32_t>((timestamp_us / kMicrosPerHour) % 24);
}

std::uint32_t DayOfWeek(std::int64_t timestamp_us) {
  // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
  const std::int64_t days = timestamp_us / (24 * kMicrosPerHour);
  return static_cast<std::uint32_t>((days + 3) % 7);
}

void BuildRow(const model::FeatureDictionary& dictionary, const event::ClickEvent& event,
              std::vector<model::Feature>* row) {
  row->clear();
  FieldValues values;
  Collect(event, &values);
  for (std::uint32_t field = 0; field < kEventFields.size(); ++field) {
    if (values.values[field].empty()) continue;
    if (auto index = dictionary.Find(field, values.values[field])) {
      row->push_back(model::Feature{field, *index, 1.0f});
    }
  }
}

void BuildRowForTraining(model::FeatureDictionary* dictionary, const event::ClickEvent& event,
                         std::vector<model::Feature>* row) {
  row->clear();
  FieldValues values;
  Collect(event, &values);
  for (std::uint32_t field = 0; field < kEventFields.size(); ++field) {
    if (values.values[field].empty()) continue;
    row->push_back(model::Feature{field, dictionary->Add(field, values.values[field]), 1.0f});
  }
}

}  // namespace promorec::features
