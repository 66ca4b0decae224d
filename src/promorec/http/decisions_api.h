// The decision routes, for a page that asks which promotion to show in a
// slot and reports what came of it (as Azure Personalizer's Rank and Reward
// APIs do). The same policy, caps, budgets and ad log as the decisions the
// pipeline makes for events.
//
//   POST /v1/decisions  {"user_id":"U", "request_id":"R", "country":..,
//                        "category":.., "product":.., "price":12.5}
//     200 {"decision_id":..,"promotion_id":..,"promotion_code":..,"text":..,
//          "probability":..,"model_version":..,"subject":..,"message":..}
//     200 {"decision_id":null,...,"reason":"..."}  when no promotion may be
//          shown (frequency cap, nothing eligible)
//     400 a body that is not such an object
//     409 a decision for this request_id was made long ago or before a restart
//     503 the first decision for this request_id is still being logged
//   `request_id` is the caller's idempotency key: the decision id derives
//   from it, a retry gets the answer the first request got, and the ad log
//   holds the decision once. Without one, each request is a new decision.
//
//   POST /v1/decisions/{id}/reward  {"reward": 1}  (a number in [0, 1])
//     202 {"decision_id":..,"reward":..,"time_us":..}: appended, durable,
//         to the `rewards` stream (pipeline/reward_record.h). The pipeline
//         reads it moments later and labels the decision: a reward > 0 a
//         success, 0 a failure, each an example in the `examples` stream
//         with outcome "reward". A decision no longer waiting (labelled
//         already, or past its window and the time kept for corrections)
//         is counted as unmatched.
//     400 an id that is not a decision id, or a bad reward.
//
// Thread-safety: the handlers may run on many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "promorec/eventlog/stream.h"
#include "promorec/http/server.h"
#include "promorec/pipeline/decision_stage.h"

namespace promorec::http {

class DecisionsApi {
 public:
  // `stage` must outlive the api; `rewards` is the stream rewards go to.
  DecisionsApi(pipeline::DecisionStage& stage, std::shared_ptr<eventlog::Stream> rewards);

  Response Decide(const Request& request, std::int64_t now_us) const;
  Response Reward(const Request& request, std::int64_t now_us) const;

 private:
  pipeline::DecisionStage& stage_;
  const std::shared_ptr<eventlog::Stream> rewards_;
  mutable std::atomic<std::uint64_t> anonymous_{0};
};

}  // namespace promorec::http
