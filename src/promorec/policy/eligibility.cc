#include "promorec/policy/eligibility.h"

#include <algorithm>
#include <string>
#include <vector>

namespace promorec::policy {
namespace {

bool Listed(const std::vector<std::string>& allowed, std::string_view value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// Country codes are written "de" by some producers and "DE" by others.
bool CountryListed(const std::vector<std::string>& allowed, std::string_view country) {
  return allowed.empty() || std::any_of(allowed.begin(), allowed.end(), [&](const std::string& c) {
           return EqualIgnoringAsciiCase(c, country);
         });
}

}  // namespace

std::string_view IneligibleName(Ineligible reason) {
  switch (reason) {
    case Ineligible::kNotYetValid:
      return "not_yet_valid";
    case Ineligible::kExpired:
      return "expired";
    case Ineligible::kCountry:
      return "country";
    case Ineligible::kCategory:
      return "category";
    case Ineligible::kProduct:
      return "product";
    case Ineligible::kBelowMinPrice:
      return "below_min_price";
    case Ineligible::kNotNewShopper:
      return "not_new_shopper";
    case Ineligible::kNotReturningShopper:
      return "not_returning_shopper";
    case Ineligible::kFrequencyCap:
      return "frequency_cap";
    case Ineligible::kBudget:
      return "budget";
  }
  return "unknown";
}

std::optional<Ineligible> WhyIneligible(const event::Promotion& promotion,
                                        const EligibilityContext& context) {
  if (promotion.valid_from_us && context.now_us < *promotion.valid_from_us) {
    return Ineligible::kNotYetValid;
  }
  if (promotion.valid_until_us && context.now_us >= *promotion.valid_until_us) {
    return Ineligible::kExpired;
  }
  const event::Eligibility& rules = promotion.eligibility;
  if (!CountryListed(rules.countries, context.country)) return Ineligible::kCountry;
  if (!Listed(rules.categories, context.category)) return Ineligible::kCategory;
  if (!Listed(rules.products, context.product)) return Ineligible::kProduct;
  if (rules.min_price && context.price && *context.price < *rules.min_price) {
    return Ineligible::kBelowMinPrice;
  }
  const std::uint64_t clicks = context.shopper_clicks.value_or(0);
  if (rules.shoppers == event::ShopperRule::kNewOnly && clicks > 0) {
    return Ineligible::kNotNewShopper;
  }
  if (rules.shoppers == event::ShopperRule::kReturningOnly && clicks == 0) {
    return Ineligible::kNotReturningShopper;
  }
  return std::nullopt;
}

}  // namespace promorec::policy
