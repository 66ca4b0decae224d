#include "promorec/sim/row_encoder.h"

#include <charconv>

#include "promorec/event/json_codec.h"
#include "promorec/event/timestamp.h"

namespace promorec::sim {
namespace {

void AppendDecimal(std::uint64_t value, std::string* out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, result.ptr);
}

void AppendTwoDigits(std::int64_t value, std::string* out) {
  out->push_back(static_cast<char>('0' + value / 10));
  out->push_back(static_cast<char>('0' + value % 10));
}

}  // namespace

RowEncoder::RowEncoder(const PlantedModel& model, OutputFormat format)
    : model_(model), format_(format) {
  if (format_ == OutputFormat::kLibffm) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      index_[f].assign(model_.cardinality(static_cast<Field>(f)), kUnassigned);
    }
  }
}

void RowEncoder::AppendHeader(std::string* out) const {
  if (format_ == OutputFormat::kKasandr) {
    out->append("userid\tofferid\tcountrycode\tcategory\tmerchant\tutcdate\trating\n");
  }
}

base::Status RowEncoder::Append(const Row& row, std::string* out) {
  switch (format_) {
    case OutputFormat::kKasandr:
      AppendKasandr(row, out);
      break;
    case OutputFormat::kLibffm:
      AppendLibffm(row, out);
      break;
    case OutputFormat::kClick:
      FillEvent(row);
      if (auto appended = event::AppendDelimitedLine(classic_, event_, out); !appended) {
        return base::MakeError(base::Code::kInternal,
                               "cannot encode a generated row: " + appended.error().detail);
      }
      break;
    case OutputFormat::kNdjson:
      FillEvent(row);
      event::AppendJsonEvent(event_, out);
      break;
  }
  out->push_back('\n');
  return {};
}

// Written here rather than through the delimited codec because KASANDR
// files carry "YYYY-MM-DD HH:MM:SS.0" dates, where the codec writes epoch
// seconds; the importer reads both.
void RowEncoder::AppendKasandr(const Row& row, std::string* out) {
  const FieldValues& v = row.values;
  model_.AppendId(kUserField, v[kUserField], out);
  out->push_back('\t');
  model_.AppendId(kOfferField, v[kOfferField], out);
  out->push_back('\t');
  model_.AppendId(kCountryField, v[kCountryField], out);
  out->push_back('\t');
  model_.AppendId(kCategoryField, v[kCategoryField], out);
  out->push_back('\t');
  model_.AppendId(kMerchantField, v[kMerchantField], out);
  out->push_back('\t');
  AppendDateTime(row.timestamp_us, out);
  out->push_back('\t');
  out->push_back(static_cast<char>('0' + row.label));
}

void RowEncoder::AppendDateTime(std::int64_t timestamp_us, std::string* out) {
  // Generated times are never before 1970, so plain division is the floor.
  const std::int64_t seconds = timestamp_us / 1000000;
  const std::int64_t day = seconds / 86400;
  if (day != cached_day_) {
    std::int64_t year = 0;
    unsigned month = 0;
    unsigned day_of_month = 0;
    event::CivilFromDays(day, &year, &month, &day_of_month);
    cached_date_.clear();
    AppendDecimal(static_cast<std::uint64_t>(year), &cached_date_);
    cached_date_.push_back('-');
    AppendTwoDigits(month, &cached_date_);
    cached_date_.push_back('-');
    AppendTwoDigits(day_of_month, &cached_date_);
    cached_date_.push_back(' ');
    cached_day_ = day;
  }
  out->append(cached_date_);
  const std::int64_t second_of_day = seconds % 86400;
  AppendTwoDigits(second_of_day / 3600, out);
  out->push_back(':');
  AppendTwoDigits(second_of_day / 60 % 60, out);
  out->push_back(':');
  AppendTwoDigits(second_of_day % 60, out);
  out->append(".0");
}

void RowEncoder::AppendLibffm(const Row& row, std::string* out) {
  out->push_back(static_cast<char>('0' + row.label));
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    const std::uint32_t value = row.values[f];
    std::uint32_t& index = index_[f][value];
    if (index == kUnassigned) {
      index = next_index_++;
      dictionary_.append(kFieldNames[f]);
      dictionary_.push_back('_');
      model_.AppendId(static_cast<Field>(f), value, &dictionary_);
      dictionary_.push_back('\n');
    }
    out->push_back(' ');
    AppendDecimal(f, out);
    out->push_back(':');
    AppendDecimal(index, out);
    out->append(":1");
  }
}

void RowEncoder::FillEvent(const Row& row) {
  const FieldValues& v = row.values;
  event_.user_id.clear();
  model_.AppendId(kUserField, v[kUserField], &event_.user_id);
  event_.offer_id.clear();
  model_.AppendId(kOfferField, v[kOfferField], &event_.offer_id);
  event_.country.clear();
  model_.AppendId(kCountryField, v[kCountryField], &event_.country);
  event_.category.clear();
  model_.AppendId(kCategoryField, v[kCategoryField], &event_.category);
  event_.product.clear();
  model_.AppendId(kMerchantField, v[kMerchantField], &event_.product);
  event_.timestamp_us = row.timestamp_us;
  event_.rating = row.label;
  event_.type = event::EventTypeFromRating(row.label);
}

}  // namespace promorec::sim
