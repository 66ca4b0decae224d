#include "promorec/sim/planted_model.h"

#include <charconv>
#include <cmath>
#include <numeric>
#include <string>

#include "promorec/base/hash.h"
#include "promorec/base/random.h"

namespace promorec::sim {
namespace {

// Large enough for realistic catalogues, small enough that the parameters
// (about 100 bytes per user) fit in memory; a typo such as an extra zero
// gets an error rather than an allocation failure.
constexpr std::uint64_t kMaxEntities = 50'000'000;

struct Country {
  std::string_view code;
  double share;
};
// A few markets with the skew of a European shop: one dominant country.
constexpr std::array<Country, 8> kCountries = {{{"de", 0.45},
                                                {"fr", 0.18},
                                                {"it", 0.12},
                                                {"es", 0.09},
                                                {"nl", 0.06},
                                                {"be", 0.04},
                                                {"at", 0.03},
                                                {"pl", 0.03}}};
constexpr std::uint32_t kHours = 24;
// How strongly a child (offer, merchant) follows its parent's latent vectors.
constexpr double kInheritance = 0.6;
// Standard deviations of the linear weights.
constexpr std::array<double, kFieldCount> kLinearScale = {0.6, 0.5, 0.0, 0.3, 0.4, 0.0};
constexpr std::size_t kBiasTuningRows = 20000;

// A bijection on 64-bit values (the splitmix64 finaliser), so that ids made
// from distinct indices are distinct.
std::uint64_t Mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void AppendHex64(std::uint64_t value, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kDigits[value & 0xF];
    value >>= 4;
  }
  out->append(buf, sizeof buf);
}

void AppendDecimal(std::uint64_t value, std::string* out) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out->append(buf, result.ptr);
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Assigns each of `children` one of `parents` so that the groups are as
// even as possible and no parent is left empty, in a random order.
std::vector<std::uint32_t> AssignParents(std::uint32_t children, std::uint32_t parents,
                                         base::Rng& rng) {
  std::vector<std::uint32_t> order(children);
  std::iota(order.begin(), order.end(), 0u);
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng.Below(i)]);
  }
  std::vector<std::uint32_t> parent(children);
  for (std::uint32_t i = 0; i < children; ++i) parent[order[i]] = i % parents;
  return parent;
}

std::uint32_t CeilDiv(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::uint32_t>((a + b - 1) / b);
}

}  // namespace

base::Status ValidateConfig(const GeneratorConfig& config) {
  if (config.rows < 1) return base::InvalidArgument("rows must be >= 1");
  if (config.users < 1) return base::InvalidArgument("users must be >= 1");
  if (config.offers < 1) return base::InvalidArgument("offers must be >= 1");
  if (config.users > kMaxEntities || config.offers > kMaxEntities) {
    return base::InvalidArgument("users and offers must be <= " + std::to_string(kMaxEntities));
  }
  if (!(config.test_fraction > 0.0 && config.test_fraction < 1.0)) {
    return base::InvalidArgument("test fraction must be strictly between 0 and 1");
  }
  if (!std::isfinite(config.zipf_exponent) || config.zipf_exponent < 0) {
    return base::InvalidArgument("Zipf exponent must be finite and >= 0");
  }
  if (config.offers_per_merchant < 1 || config.merchants_per_category < 1) {
    return base::InvalidArgument("offers per merchant and merchants per category must be >= 1");
  }
  if (config.latent_dim < 1 || config.latent_dim > 64) {
    return base::InvalidArgument("latent dimension must be in [1, 64]");
  }
  if (!(config.latent_scale >= 0.0 && config.latent_scale < 10.0)) {
    return base::InvalidArgument("latent scale must be in [0, 10)");
  }
  if (!(config.target_click_rate > 0.0 && config.target_click_rate < 1.0)) {
    return base::InvalidArgument("target click rate must be strictly between 0 and 1");
  }
  if (!(config.span_seconds > 0.0 && config.span_seconds < 1e9)) {
    return base::InvalidArgument("time span must be positive and under 1e9 seconds");
  }
  return {};
}

base::Result<PlantedModel> PlantedModel::Create(const GeneratorConfig& config) {
  PROMOREC_RETURN_IF_ERROR(ValidateConfig(config));
  PlantedModel model;
  PROMOREC_ASSIGN_OR_RETURN(model.user_popularity_,
                            ZipfSampler::Create(config.users, config.zipf_exponent));
  PROMOREC_ASSIGN_OR_RETURN(model.offer_popularity_,
                            ZipfSampler::Create(config.offers, config.zipf_exponent));
  model.PlantStructure(config);
  model.PlantParameters(config);
  model.TuneBias(config);
  return model;
}

void PlantedModel::PlantStructure(const GeneratorConfig& config) {
  base::Rng rng(base::Hash64("sim/structure", config.seed));
  const std::uint32_t merchants = CeilDiv(config.offers, config.offers_per_merchant);
  const std::uint32_t categories = CeilDiv(merchants, config.merchants_per_category);
  cardinality_ = {static_cast<std::uint32_t>(config.users),
                  static_cast<std::uint32_t>(config.offers),
                  static_cast<std::uint32_t>(kCountries.size()),
                  categories,
                  merchants,
                  kHours};
  offer_merchant_ = AssignParents(cardinality_[kOfferField], merchants, rng);
  merchant_category_ = AssignParents(merchants, categories, rng);
  user_country_.resize(config.users);
  for (std::uint32_t& country : user_country_) {
    double u = rng.Uniform();
    country = 0;
    while (country + 1 < kCountries.size() && u >= kCountries[country].share) {
      u -= kCountries[country].share;
      ++country;
    }
  }
  user_id_key_ = base::Hash64("sim/userid", config.seed);
  offer_id_key_ = base::Hash64("sim/offerid", config.seed);
}

void PlantedModel::PlantParameters(const GeneratorConfig& config) {
  base::Rng rng(base::Hash64("sim/parameters", config.seed));
  k_ = config.latent_dim;
  const double scale = config.latent_scale;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    linear_[f].resize(cardinality_[f]);
    for (float& w : linear_[f]) w = static_cast<float>(kLinearScale[f] * rng.Normal());
  }
  // Parents first, so that children can inherit from them.
  const std::size_t stride = kFieldCount * k_;
  const double own = std::sqrt(1.0 - kInheritance * kInheritance);
  for (const Field f :
       {kCategoryField, kMerchantField, kOfferField, kUserField, kCountryField, kHourField}) {
    std::vector<float>& latent = latent_[f];
    latent.resize(cardinality_[f] * stride);
    for (std::uint32_t value = 0; value < cardinality_[f]; ++value) {
      const float* parent = nullptr;
      if (f == kMerchantField) {
        parent = latent_[kCategoryField].data() + merchant_category_[value] * stride;
      } else if (f == kOfferField) {
        parent = latent_[kMerchantField].data() + offer_merchant_[value] * stride;
      }
      float* row = latent.data() + value * stride;
      for (std::size_t i = 0; i < stride; ++i) {
        const double noise = scale * rng.Normal();
        row[i] = static_cast<float>(
            parent == nullptr ? noise
                              : kInheritance * static_cast<double>(parent[i]) + own * noise);
      }
    }
  }
}

double PlantedModel::Score(const FieldValues& values) const {
  double logit = static_cast<double>(linear_[kUserField][values[kUserField]] +
                                     linear_[kOfferField][values[kOfferField]] +
                                     linear_[kMerchantField][values[kMerchantField]] +
                                     linear_[kCategoryField][values[kCategoryField]]);
  for (std::size_t a = 0; a < kFieldCount; ++a) {
    for (std::size_t c = a + 1; c < kFieldCount; ++c) {
      const auto va = Latent(static_cast<Field>(a), values[a], static_cast<Field>(c));
      const auto vc = Latent(static_cast<Field>(c), values[c], static_cast<Field>(a));
      float dot = 0;
      for (std::size_t i = 0; i < k_; ++i) dot += va[i] * vc[i];
      logit += static_cast<double>(dot);
    }
  }
  return logit;
}

double PlantedModel::Probability(const FieldValues& values) const {
  return Sigmoid(bias_ + Score(values));
}

void PlantedModel::TuneBias(const GeneratorConfig& config) {
  // Rows drawn as the generator draws them (hours are uniform there too),
  // from a stream of their own so that tuning does not shift the data.
  base::Rng rng(base::Hash64("sim/bias", config.seed));
  std::vector<double> scores(kBiasTuningRows);
  for (double& score : scores) {
    FieldValues values{};
    values[kUserField] = static_cast<std::uint32_t>(user_popularity_.Sample(rng) - 1);
    values[kOfferField] = static_cast<std::uint32_t>(offer_popularity_.Sample(rng) - 1);
    values[kCountryField] = user_country_[values[kUserField]];
    values[kMerchantField] = offer_merchant_[values[kOfferField]];
    values[kCategoryField] = merchant_category_[values[kMerchantField]];
    values[kHourField] = static_cast<std::uint32_t>(rng.Below(kHours));
    score = Score(values);
  }
  // The mean probability rises with the bias: bisect.
  double low = -30.0;
  double high = 30.0;
  for (int iteration = 0; iteration < 60; ++iteration) {
    const double mid = 0.5 * (low + high);
    double sum = 0;
    for (const double score : scores) sum += Sigmoid(mid + score);
    if (sum / static_cast<double>(scores.size()) < config.target_click_rate) {
      low = mid;
    } else {
      high = mid;
    }
  }
  bias_ = 0.5 * (low + high);
}

void PlantedModel::AppendId(Field field, std::uint32_t value, std::string* out) const {
  switch (field) {
    case kUserField:
      AppendHex64(Mix(value ^ user_id_key_), out);
      return;
    case kOfferField:
      AppendHex64(Mix(value ^ offer_id_key_), out);
      return;
    case kCountryField:
      out->append(kCountries[value].code);
      return;
    case kCategoryField:
      // Nine digits, like KASANDR's category ids.
      AppendDecimal(100000000ull + value, out);
      return;
    case kMerchantField:
      AppendDecimal(10000ull + value, out);
      return;
    case kHourField:
      AppendDecimal(value, out);
      return;
  }
}

}  // namespace promorec::sim
