// The planted field-aware preference model behind synthetic click data.
//
// Six fields: user, offer, country (of the user), category and merchant (of
// the offer: offer -> merchant -> category), and hour of day. The true click
// probability of a row x is
//   sigmoid(b + w_user + w_offer + w_merchant + w_category
//           + sum over field pairs (a, c) of <v_{a,x_a}^(c), v_{c,x_c}^(a)>)
// with small random latent vectors of size k. Offers inherit part of their
// merchant's parameters and merchants part of their category's, so that the
// hierarchy carries information a model can use for rarely seen offers.
// Users and offers are Zipf-popular (rank = index), so rare ones exist.
// The bias b is tuned so that the expected click rate hits a target.
//
// Thread-safety: immutable after Create; all const methods may be called
// from many threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/sim/zipf.h"

namespace promorec::sim {

enum Field : std::uint8_t {
  kUserField = 0,
  kOfferField,
  kCountryField,
  kCategoryField,
  kMerchantField,
  kHourField,
};
inline constexpr std::size_t kFieldCount = 6;
// The original system's field names, as used in feature dictionaries.
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "userid", "offerid", "countrycode", "category", "product", "hour"};

struct GeneratorConfig {
  std::uint64_t rows = 0;
  std::uint64_t users = 0;
  std::uint64_t offers = 0;
  std::uint64_t seed = 0;
  // The last fraction of rows by time forms the test set.
  double test_fraction = 0.2;
  // The skew and the latent scale set how hard the data is. These defaults
  // make data on which libffm, well tuned, ends about 0.03 logloss above the
  // oracle overall and about 0.05 above it for users with fewer than 10
  // training rows (2M rows, 100k users, 5k offers): a long tail of rare
  // users with real preferences to miss.
  double zipf_exponent = 0.9;
  std::uint32_t offers_per_merchant = 10;
  std::uint32_t merchants_per_category = 20;
  std::uint32_t latent_dim = 4;
  // Standard deviation of every latent coordinate.
  double latent_scale = 0.5;
  double target_click_rate = 0.10;
  // 2016-06-01 00:00:00 UTC, the start of the KASANDR period.
  std::int64_t start_timestamp_us = 1464739200LL * 1000000;
  // The rows spread over about this long, whatever their number.
  double span_seconds = 28.0 * 86400.0;
};

// Rejects what the generator cannot honour, with a message naming the
// option ("rows must be >= 1").
[[nodiscard]] base::Status ValidateConfig(const GeneratorConfig& config);

// One entity value per field, indexed by Field.
using FieldValues = std::array<std::uint32_t, kFieldCount>;

class PlantedModel {
 public:
  [[nodiscard]] static base::Result<PlantedModel> Create(const GeneratorConfig& config);

  // Number of distinct values of a field.
  std::uint32_t cardinality(Field field) const { return cardinality_[field]; }
  std::uint32_t CountryOfUser(std::uint32_t user) const { return user_country_[user]; }
  std::uint32_t MerchantOfOffer(std::uint32_t offer) const { return offer_merchant_[offer]; }
  std::uint32_t CategoryOfMerchant(std::uint32_t merchant) const {
    return merchant_category_[merchant];
  }
  const ZipfSampler& user_popularity() const { return user_popularity_; }
  const ZipfSampler& offer_popularity() const { return offer_popularity_; }
  double bias() const { return bias_; }

  // The logit without the bias, and the true click probability.
  double Score(const FieldValues& values) const;
  double Probability(const FieldValues& values) const;

  // Appends the external id of a value: hexadecimal user and offer ids,
  // numeric category and merchant ids, country codes, "0".."23" for hours.
  // Distinct values always get distinct ids.
  void AppendId(Field field, std::uint32_t value, std::string* out) const;

 private:
  PlantedModel() = default;

  void PlantStructure(const GeneratorConfig& config);
  void PlantParameters(const GeneratorConfig& config);
  void TuneBias(const GeneratorConfig& config);
  std::span<const float> Latent(Field field, std::uint32_t value, Field towards) const {
    const std::size_t at = (static_cast<std::size_t>(value) * kFieldCount + towards) * k_;
    return {latent_[field].data() + at, k_};
  }

  std::array<std::uint32_t, kFieldCount> cardinality_{};
  std::size_t k_ = 0;
  std::vector<std::uint32_t> user_country_;
  std::vector<std::uint32_t> offer_merchant_;
  std::vector<std::uint32_t> merchant_category_;
  // Linear weights per field (zero for country and hour).
  std::array<std::vector<float>, kFieldCount> linear_;
  // latent_[field][(value * kFieldCount + towards) * k + i]; the slot
  // towards the field itself is unused, which keeps indexing simple.
  std::array<std::vector<float>, kFieldCount> latent_;
  double bias_ = 0;
  std::uint64_t user_id_key_ = 0;
  std::uint64_t offer_id_key_ = 0;
  ZipfSampler user_popularity_ = *ZipfSampler::Create(1, 1.0);
  ZipfSampler offer_popularity_ = *ZipfSampler::Create(1, 1.0);
};

}  // namespace promorec::sim
