#include "promorec/policy/budget_pacer.h"

#include <algorithm>

#include "promorec/base/byte_io.h"

namespace promorec::policy {

namespace {

constexpr std::int64_t kDayUs = 24 * 3'600'000'000LL;

std::int64_t DayOf(std::int64_t time_us) {
  return time_us >= 0 ? time_us / kDayUs : -1 - (-time_us - 1) / kDayUs;
}

}  // namespace

std::uint64_t PacedAllowance(std::uint64_t budget, std::int64_t now_us) {
  const std::int64_t into_day = now_us - DayOf(now_us) * kDayUs;
  // budget * into_day / kDayUs; long double holds both exactly for any
  // budget below 2^64.
  const auto paced = static_cast<std::uint64_t>(static_cast<long double>(budget) *
                                                static_cast<long double>(into_day) /
                                                static_cast<long double>(kDayUs));
  return std::min(budget, paced + 1);
}

BudgetPacer::BudgetPacer(std::span<const event::Promotion> promotions) {
  budgets_.reserve(promotions.size());
  for (const event::Promotion& p : promotions) {
    budgets_.push_back(p.budget);
    ids_.push_back(p.id);
  }
  state_.resize(promotions.size());
}

BudgetPacer::Counts BudgetPacer::Current(std::uint32_t index, std::int64_t now_us) const {
  const Counts& counts = state_[index];
  return counts.day == DayOf(now_us) ? counts : Counts{DayOf(now_us), 0, 0};
}

BudgetPacer::Counts& BudgetPacer::Roll(std::uint32_t index, std::int64_t now_us) {
  Counts& counts = state_[index];
  // An event from an earlier day than the counts (late) is counted in the
  // current day: budgets only move forward.
  if (DayOf(now_us) > counts.day) counts = Counts{DayOf(now_us), 0, 0};
  return counts;
}

bool BudgetPacer::Allows(std::uint32_t index, std::int64_t now_us) const {
  const event::Budget& budget = budgets_[index];
  if (!budget.Limited()) return true;
  const Counts counts = Current(index, now_us);
  if (budget.impressions_per_day &&
      counts.impressions >= PacedAllowance(*budget.impressions_per_day, now_us)) {
    return false;
  }
  if (budget.redemptions_per_day &&
      counts.redemptions >= PacedAllowance(*budget.redemptions_per_day, now_us)) {
    return false;
  }
  return true;
}

void BudgetPacer::RecordImpression(std::uint32_t index, std::int64_t now_us) {
  if (budgets_[index].Limited()) ++Roll(index, now_us).impressions;
}

void BudgetPacer::RecordRedemption(std::uint32_t index, std::int64_t now_us) {
  if (budgets_[index].Limited()) ++Roll(index, now_us).redemptions;
}

void BudgetPacer::Encode(std::string* out) const {
  base::PutFixed64(out, state_.size());
  for (std::size_t i = 0; i < state_.size(); ++i) {
    base::PutLengthPrefixed(out, ids_[i]);
    base::PutFixed64(out, static_cast<std::uint64_t>(state_[i].day));
    base::PutFixed64(out, state_[i].impressions);
    base::PutFixed64(out, state_[i].redemptions);
  }
}

base::Status BudgetPacer::Decode(std::string_view data) {
  base::ByteReader in(data);
  std::uint64_t count = 0;
  if (!in.Fixed64(&count)) return base::Corruption("budgets: truncated");
  std::vector<Counts> state(state_.size());
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view id;
    if (!in.LengthPrefixed(&id)) return base::Corruption("budgets: damaged promotion id");
    Counts counts;
    if (!in.Signed64(&counts.day) || !in.Fixed64(&counts.impressions) ||
        !in.Fixed64(&counts.redemptions)) {
      return base::Corruption("budgets: truncated counts");
    }
    // A promotion no longer in the catalogue is forgotten; a new one starts
    // at zero.
    const auto it = std::find(ids_.begin(), ids_.end(), id);
    if (it != ids_.end()) state[static_cast<std::size_t>(it - ids_.begin())] = counts;
  }
  if (!in.done()) return base::Corruption("budgets: bytes after the last promotion");
  state_ = std::move(state);
  return {};
}

}  // namespace promorec::policy
