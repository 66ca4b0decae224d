#include "promorec/sim/generator.h"

#include <cmath>

#include "promorec/base/hash.h"

namespace promorec::sim {

RowGenerator::RowGenerator(const PlantedModel& model, const GeneratorConfig& config)
    : model_(model),
      rng_(base::Hash64("sim/rows", config.seed)),
      mean_gap_us_(config.span_seconds * 1e6 / static_cast<double>(config.rows)),
      start_us_(config.start_timestamp_us) {}

void RowGenerator::Next(Row* row) {
  elapsed_us_ += rng_.Exponential(mean_gap_us_);
  constexpr std::int64_t kSecond = 1000000;
  const std::int64_t now_us = start_us_ + static_cast<std::int64_t>(elapsed_us_);
  row->timestamp_us = now_us - now_us % kSecond;
  FieldValues& v = row->values;
  v[kUserField] = static_cast<std::uint32_t>(model_.user_popularity().Sample(rng_) - 1);
  v[kOfferField] = static_cast<std::uint32_t>(model_.offer_popularity().Sample(rng_) - 1);
  v[kCountryField] = model_.CountryOfUser(v[kUserField]);
  v[kMerchantField] = model_.MerchantOfOffer(v[kOfferField]);
  v[kCategoryField] = model_.CategoryOfMerchant(v[kMerchantField]);
  v[kHourField] = static_cast<std::uint32_t>((row->timestamp_us / kSecond) % 86400 / 3600);
  row->probability = model_.Probability(v);
  row->label = rng_.Uniform() < row->probability ? 1 : 0;
}

}  // namespace promorec::sim
