// The decision policy: after Decider has checked eligibility and scored
// every promotion, which one to show. In order:
//   1. the shopper's frequency cap over all promotions (no decision at all
//      when reached);
//   2. each eligible promotion's cap for this shopper and its paced daily
//      budget (removed with rule frequency_cap or budget, as eligibility
//      removes with its own rules);
//   3. exploration over what is left (policy/exploration.h), seeded from
//      the event, so the same event is decided the same way again, with
//      the exact probability of the choice.
// Commit then counts the choice against the caps and the budget. Decide
// does not change anything, so a caller may decide, fail to log, and
// decide the same event again.
//
// Thread-safety: not thread-safe; one pipeline thread owns it (requests
// from POST /v1/decisions go through the same owner).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/decide/decider.h"
#include "promorec/event/catalogue.h"
#include "promorec/policy/budget_pacer.h"
#include "promorec/policy/exploration.h"
#include "promorec/policy/frequency_caps.h"

namespace promorec::decide {

struct PolicyOptions {
  policy::FrequencyCapOptions caps;
  policy::ExplorationOptions exploration;

  [[nodiscard]] base::Status Validate() const;
};

enum class Outcome : std::uint8_t {
  kChosen,
  kUserCapped,   // the shopper reached the frequency cap over all promotions
  kNoCandidate,  // no promotion passed every rule
};

// "chosen", "user_capped", "no_candidate".
std::string_view OutcomeName(Outcome outcome);

struct Choice {
  Outcome outcome = Outcome::kNoCandidate;
  std::uint32_t promotion = 0;   // index in the catalogue, when chosen
  double probability = 0.0;      // of that choice under the policy
  std::uint32_t considered = 0;  // promotions left after every rule
};

class DecisionPolicy {
 public:
  DecisionPolicy(std::span<const event::Promotion> promotions, PolicyOptions options);

  const PolicyOptions& options() const { return options_; }

  // Marks capped and over-budget candidates of `decision` (removed_by) and
  // chooses among the rest for the event `event_id` at `now_us`.
  Choice Decide(std::string_view event_id, std::int64_t now_us, Decision* decision) const;
  // Counts a choice against the shopper's caps and the promotion's budget.
  void Commit(const Decision& decision, const Choice& choice, std::int64_t now_us);
  // Counts a click or buy attributed to promotion `index` against its
  // redemption budget.
  void Redeemed(std::uint32_t index, std::int64_t now_us) {
    budgets_.RecordRedemption(index, now_us);
  }

  // Drops caps state no window needs any more. Safe on any thread while
  // decisions go on (the caps lock themselves).
  std::size_t Prune(std::int64_t now_us) { return caps_.Prune(now_us); }

  // The caps and budgets as bytes for a snapshot, and back.
  void Encode(std::string* out);
  [[nodiscard]] base::Status Decode(std::string_view data);
  // Encode in two steps: the moment (the budgets encoded, the caps marked;
  // one snapshot at a time) ...
  void BeginSnapshot();
  // ... then the bytes Encode writes, on any thread, while decisions go on.
  void EncodeBegunSnapshot(std::string* out);

 private:
  std::vector<std::string> ids_;
  PolicyOptions options_;
  policy::FrequencyCaps caps_;
  policy::BudgetPacer budgets_;
  std::string snapshot_budgets_;  // encoded at the begun snapshot's mark
  // Decide's scratch: scores and candidate indices of what is left.
  mutable std::vector<float> scores_;
  mutable std::vector<std::uint32_t> left_;
  mutable std::vector<std::string> capped_;
};

}  // namespace promorec::decide
