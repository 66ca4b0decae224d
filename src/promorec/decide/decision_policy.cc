#include "promorec/decide/decision_policy.h"

#include <algorithm>

#include "promorec/base/byte_io.h"

namespace promorec::decide {

base::Status PolicyOptions::Validate() const {
  PROMOREC_RETURN_IF_ERROR(caps.Validate());
  return exploration.Validate();
}

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kChosen:
      return "chosen";
    case Outcome::kUserCapped:
      return "user_capped";
    case Outcome::kNoCandidate:
      return "no_candidate";
  }
  return "unknown";
}

DecisionPolicy::DecisionPolicy(std::span<const event::Promotion> promotions, PolicyOptions options)
    : options_(options), caps_(options.caps), budgets_(promotions) {
  ids_.reserve(promotions.size());
  for (const event::Promotion& p : promotions) ids_.push_back(p.id);
}

Choice DecisionPolicy::Decide(std::string_view event_id, std::int64_t now_us,
                              Decision* decision) const {
  Choice choice;
  if (caps_.UserCapped(decision->user_id, now_us)) {
    choice.outcome = Outcome::kUserCapped;
    return choice;
  }
  scores_.clear();
  left_.clear();
  caps_.CappedPromotions(decision->user_id, now_us, &capped_);
  for (Candidate& c : decision->candidates) {
    if (c.removed_by) continue;
    if (!capped_.empty() &&
        std::find(capped_.begin(), capped_.end(), ids_[c.promotion]) != capped_.end()) {
      c.removed_by = policy::Ineligible::kFrequencyCap;
    } else if (!budgets_.Allows(c.promotion, now_us)) {
      c.removed_by = policy::Ineligible::kBudget;
    } else {
      scores_.push_back(c.score);
      left_.push_back(c.promotion);
    }
  }
  choice.considered = static_cast<std::uint32_t>(left_.size());
  if (left_.empty()) return choice;
  const policy::Choice picked =
      policy::Choose(scores_, decision->has_model, options_.exploration,
                     policy::DecisionSeed(event_id, options_.exploration.seed));
  choice.outcome = Outcome::kChosen;
  choice.promotion = left_[picked.index];
  choice.probability = picked.probability;
  return choice;
}

void DecisionPolicy::Commit(const Decision& decision, const Choice& choice, std::int64_t now_us) {
  if (choice.outcome != Outcome::kChosen) return;
  caps_.Record(decision.user_id, ids_[choice.promotion], now_us);
  budgets_.RecordImpression(choice.promotion, now_us);
}

void DecisionPolicy::Encode(std::string* out) {
  BeginSnapshot();
  EncodeBegunSnapshot(out);
}

void DecisionPolicy::BeginSnapshot() {
  caps_.BeginSnapshot();
  snapshot_budgets_.clear();
  budgets_.Encode(&snapshot_budgets_);
}

void DecisionPolicy::EncodeBegunSnapshot(std::string* out) {
  const std::size_t caps = base::BeginLengthPrefixed(out);
  caps_.EncodeBegunSnapshot(out);
  base::EndLengthPrefixed(out, caps);
  out->append(snapshot_budgets_);
}

base::Status DecisionPolicy::Decode(std::string_view data) {
  base::ByteReader in(data);
  std::string_view caps;
  if (!in.LengthPrefixed(&caps)) return base::Corruption("decision policy state: truncated caps");
  PROMOREC_RETURN_IF_ERROR(caps_.Decode(caps));
  return budgets_.Decode(in.rest());
}

}  // namespace promorec::decide
