// Eligibility: whether a promotion may be shown to a shopper in a context,
// by the promotion's rules (event::Eligibility and its validity window),
// and if not, the first rule that fails. Unknown values are conservative:
// a promotion restricted to some countries is not shown when the country is
// not known; a minimum price is checked only when the price is known.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "promorec/event/catalogue.h"

namespace promorec::policy {

struct EligibilityContext {
  std::string_view country;
  std::string_view category;
  std::string_view product;
  std::optional<double> price;
  std::int64_t now_us = 0;
  // The shopper's events with rating 1 (clicks and purchases) so far, from
  // their profile; absent when there is no profile (a new shopper).
  std::optional<std::uint64_t> shopper_clicks;
};

// The rule a promotion fails, in the order they are checked.
enum class Ineligible : std::uint8_t {
  kNotYetValid,
  kExpired,
  kCountry,
  kCategory,
  kProduct,
  kBelowMinPrice,
  kNotNewShopper,
  kNotReturningShopper,
  // Rules of the decision policy rather than of the promotion: shown to
  // this shopper as often as the frequency cap allows, or over its paced
  // budget for the day.
  kFrequencyCap,
  kBudget,
};

// Stable snake_case name: "not_yet_valid", "country", ...
std::string_view IneligibleName(Ineligible reason);

// Why `promotion` may not be shown in `context`; nullopt when it may.
std::optional<Ineligible> WhyIneligible(const event::Promotion& promotion,
                                        const EligibilityContext& context);

inline bool Eligible(const event::Promotion& promotion, const EligibilityContext& context) {
  return !WhyIneligible(promotion, context).has_value();
}

}  // namespace promorec::policy
