// Shop catalogue types: products and the promotions the recommender chooses
// from. Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace promorec::event {

struct Product {
  std::string id;
  std::string name;
  std::string category;
  std::string category_name;
  double price = 0;

  friend bool operator==(const Product&, const Product&) = default;
};

// Which shoppers a promotion is for, by their history (profile): new ones
// have never clicked or bought (no event with rating 1), returning ones have.
enum class ShopperRule : std::uint8_t { kAll, kNewOnly, kReturningOnly };

// Who may be shown a promotion. Empty lists mean "no restriction".
struct Eligibility {
  std::vector<std::string> countries;
  std::vector<std::string> categories;
  std::vector<std::string> products;
  // The product's price must be at least this (when the price is known).
  std::optional<double> min_price;
  ShopperRule shoppers = ShopperRule::kAll;

  friend bool operator==(const Eligibility&, const Eligibility&) = default;
};

// How often a promotion may be used per UTC day; absent = no limit. The
// decision policy paces each limit evenly through the day.
struct Budget {
  // Decisions that show it.
  std::optional<std::uint64_t> impressions_per_day;
  // Clicks or buys attributed to it.
  std::optional<std::uint64_t> redemptions_per_day;

  bool Limited() const { return impressions_per_day || redemptions_per_day; }
  friend bool operator==(const Budget&, const Budget&) = default;
};

struct Promotion {
  std::string id;
  std::string text;
  // The coupon code a shopper types at checkout; the demo shop uses the id.
  std::string code;
  Eligibility eligibility;
  // The shopper's notification: templates with {product}, {promotion},
  // {code} and {user}; empty = the defaults ("You have a coupon!" and the
  // original system's message).
  std::string subject;
  std::string message;
  Budget budget;
  // Validity window in microseconds since the epoch; absent = unbounded.
  std::optional<std::int64_t> valid_from_us;
  std::optional<std::int64_t> valid_until_us;

  bool ValidAt(std::int64_t when_us) const {
    return (!valid_from_us || when_us >= *valid_from_us) &&
           (!valid_until_us || when_us < *valid_until_us);
  }

  friend bool operator==(const Promotion&, const Promotion&) = default;
};

}  // namespace promorec::event
