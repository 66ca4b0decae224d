// libFuzzer target for the pipeline's own records: the decision record
// (the impressions stream), the labelled example (the examples stream), the
// reward (the rewards stream) and the pipeline state file. Any bytes must parse or fail with a
// message, without a crash or sanitizer report; an accepted decision record, example or reward must
// write back to JSON that parses to the same value. Seed corpus: tests/corpus/pipeline/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/pipeline/attribution.h"
#include "promorec/pipeline/decision_record.h"
#include "promorec/pipeline/pipeline_state.h"
#include "promorec/pipeline/reward_record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace promorec::pipeline;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto decision = ParseDecisionJson(input)) {
    std::string json;
    AppendDecisionJson(*decision, &json);
    auto again = ParseDecisionJson(json);
    if (!again) std::abort();
    std::string twice;
    AppendDecisionJson(*again, &twice);
    if (twice != json) std::abort();
  } else if (decision.error().message().empty()) {
    std::abort();
  }
  if (auto example = ParseExampleJson(input)) {
    std::string json;
    AppendExampleJson(*example, &json);
    auto again = ParseExampleJson(json);
    if (!again || !(*again == *example)) std::abort();
  }
  if (auto reward = ParseRewardJson(input)) {
    std::string json;
    AppendRewardJson(*reward, &json);
    auto again = ParseRewardJson(json);
    if (!again || !(*again == *reward)) std::abort();
  } else if (reward.error().message().empty()) {
    std::abort();
  }
  if (auto state = DecodePipelineState(input, "fuzz")) {
    std::string bytes;
    EncodePipelineState(*state, &bytes);
    if (bytes != input) std::abort();
  } else if (state.error().message().empty()) {
    std::abort();
  }
  return 0;
}
