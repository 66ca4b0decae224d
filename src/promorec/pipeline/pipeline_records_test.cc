// The pipeline's own records against their bad-input corpus, and the
// pipeline state file's round trip and choice between state and state.prev.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "promorec/base/mem_env.h"
#include "promorec/pipeline/attribution.h"
#include "promorec/pipeline/decision_record.h"
#include "promorec/pipeline/pipeline_state.h"
#include "promorec/pipeline/reward_record.h"
#include "promorec/testing/golden.h"

namespace promorec::pipeline {
namespace {

const std::filesystem::path kCorpus =
    std::filesystem::path(PROMOREC_SOURCE_DIR) / "tests/corpus/pipeline";

TEST(PipelineRecords, BadInputCorpus) {
  int checked = testing::CheckCorpus(kCorpus, ".json", [](const std::string& bytes) {
    auto decision = ParseDecisionJson(bytes);
    auto example = ParseExampleJson(bytes);
    auto reward = ParseRewardJson(bytes);
    std::string round_trip;
    if (decision) {
      // What is written back reads back to the same bytes.
      std::string json;
      AppendDecisionJson(*decision, &json);
      auto again = ParseDecisionJson(json);
      std::string twice;
      if (again) AppendDecisionJson(*again, &twice);
      round_trip = twice == json ? "written back: stable\n" : "written back: CHANGED\n";
    }
    if (reward) {
      std::string json;
      AppendRewardJson(*reward, &json);
      round_trip += "reward written back: " + json + "\n";
    }
    return "decision: " + (decision ? std::string("ok") : decision.error().ToString()) +
           "\nexample: " + (example ? std::string("ok") : example.error().ToString()) +
           "\nreward: " + (reward ? std::string("ok") : reward.error().ToString()) + "\n" +
           round_trip;
  });
  checked += testing::CheckCorpus(kCorpus, ".state", [](const std::string& bytes) {
    auto state = DecodePipelineState(bytes, "state");
    return (state ? std::string("ok") : state.error().ToString()) + "\n";
  });
  EXPECT_GE(checked, 12);
}

TEST(PipelineState, RoundTripAndTheMatchingVersionIsLoaded) {
  auto env = base::NewMemEnv();
  PipelineState first{{1, 2, 3, 4}, "manifest-1", "stage-1"};
  PipelineState second{{5, 6, 7, 8}, "manifest-2", "stage-2"};
  std::string bytes;
  EncodePipelineState(first, &bytes);
  EXPECT_EQ(*DecodePipelineState(bytes, "x"), first);
  bytes[bytes.size() - 10] ^= 1;
  EXPECT_EQ(DecodePipelineState(bytes, "x").error().code(), base::Code::kCorruption);

  ASSERT_TRUE(SavePipelineState(*env, "/p", first));
  ASSERT_TRUE(SavePipelineState(*env, "/p", second));
  // The profile snapshot may be at either point; the state saved with it
  // is the one loaded.
  EXPECT_EQ(*LoadPipelineState(*env, "/p", {5, 6, 7, 8}), second);
  EXPECT_EQ(*LoadPipelineState(*env, "/p", {1, 2, 3, 4}), first);
  EXPECT_EQ(LoadPipelineState(*env, "/p", {9, 9, 9, 9}).error().code(), base::Code::kNotFound);
}

}  // namespace
}  // namespace promorec::pipeline
