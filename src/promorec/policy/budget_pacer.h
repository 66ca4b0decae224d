// Budgets: how many times each promotion may be shown (impressions) and
// redeemed (clicks or buys attributed to it) per UTC day, paced evenly
// through the day so that a budget is not spent in the first busy hour:
// by time t into the day at most floor(budget * t / 24 h) + 1 may have
// been used (never more than the budget). Days are by event time.
//
// The counts are saved with the pipeline's snapshot (Encode/Decode).
// Thread-safety: not thread-safe; one pipeline thread owns it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/catalogue.h"

namespace promorec::policy {

// How many of `budget` may have been used by `now_us` (paced).
std::uint64_t PacedAllowance(std::uint64_t budget, std::int64_t now_us);

class BudgetPacer {
 public:
  // One counter pair per promotion, in catalogue order.
  explicit BudgetPacer(std::span<const event::Promotion> promotions);

  // Whether promotion `index` may be shown at `now_us`: neither of its
  // budgets is used up as paced at that time.
  bool Allows(std::uint32_t index, std::int64_t now_us) const;
  void RecordImpression(std::uint32_t index, std::int64_t now_us);
  void RecordRedemption(std::uint32_t index, std::int64_t now_us);

  // Today's counts (by the day of the last record), for /metrics.
  std::uint64_t impressions(std::uint32_t index) const { return state_[index].impressions; }
  std::uint64_t redemptions(std::uint32_t index) const { return state_[index].redemptions; }

  // The counts as bytes for a snapshot, and back, by promotion id (a
  // promotion added since starts at zero; one removed is forgotten).
  // Decode fails with Corruption on damage.
  void Encode(std::string* out) const;
  [[nodiscard]] base::Status Decode(std::string_view data);

 private:
  struct Counts {
    std::int64_t day = -1;  // UTC day number of the counts
    std::uint64_t impressions = 0;
    std::uint64_t redemptions = 0;
  };
  // The counts for the day of `now_us` (reset when the day moved on).
  Counts Current(std::uint32_t index, std::int64_t now_us) const;
  Counts& Roll(std::uint32_t index, std::int64_t now_us);

  std::vector<event::Budget> budgets_;
  std::vector<std::string> ids_;
  std::vector<Counts> state_;
};

}  // namespace promorec::policy
