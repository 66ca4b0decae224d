// One explicit outcome as the `rewards` stream keeps it: what a page
// reported through POST /v1/decisions/{id}/reward about a decision it was
// given (as Azure Personalizer's Reward API takes one). One JSON object per
// stream record:
//
//   {"decision_id":"<32 hex digits>","reward":1,"time_us":1700000000000000}
//
// The decision stage reads the stream and labels the decision with it
// (docs/formats/decision-record.md, "Rewards").
//
// Thread-safety: plain value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::pipeline {

inline constexpr std::string_view kRewardsStream = "rewards";

struct RewardRecord {
  std::string decision_id;   // 32 lower-case hex digits
  double reward = 0.0;       // in [0, 1]; > 0 labels the decision a success
  std::int64_t time_us = 0;  // when the server took it

  friend bool operator==(const RewardRecord&, const RewardRecord&) = default;
};

// Whether `id` has the form of a decision id (DecisionId's output).
bool IsDecisionId(std::string_view id);

// Appends the record as one line of JSON (no newline).
void AppendRewardJson(const RewardRecord& record, std::string* out);

// Parses what AppendRewardJson wrote; InvalidArgument naming the field and
// why for anything else (a bad id, a reward outside [0, 1]).
[[nodiscard]] base::Result<RewardRecord> ParseRewardJson(std::string_view json);

}  // namespace promorec::pipeline
