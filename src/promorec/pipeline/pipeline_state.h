// The decision pipeline's own state, saved beside the profile snapshot
// (DATA_DIR/pipeline/state, docs/formats/pipeline-state.md): the consumer
// positions it reflects, the dedup filter's manifest and the decision
// stage's state (caps, budgets, where the ad log ended). The profile
// snapshot and this file are two files; each holds the positions it
// reflects, the state is written first and its previous version kept
// (state.prev), so a start picks the state whose positions equal the
// profile snapshot's: the two always describe the same point of the
// stream, whatever moment a crash hit.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"

namespace promorec::pipeline {

struct PipelineState {
  std::vector<std::uint64_t> positions;  // per shard of clicks: next to apply
  std::string dedup_manifest;            // empty: no filter state
  std::string stage;                     // the decision stage's bytes

  friend bool operator==(const PipelineState&, const PipelineState&) = default;
};

void EncodePipelineState(const PipelineState& state, std::string* out);
// The same with `state.stage` left empty and the stage's bytes appended to
// `out` by `encode_stage` in its place (no copy of what can be hundreds of
// megabytes).
void EncodePipelineState(const PipelineState& state,
                         const std::function<void(std::string*)>& encode_stage, std::string* out);
// Corruption naming `source` and what is wrong.
[[nodiscard]] base::Result<PipelineState> DecodePipelineState(std::string_view data,
                                                              std::string_view source);

// Writes `state` as `dir`/state, keeping the previous one as state.prev.
[[nodiscard]] base::Status SavePipelineState(base::Env& env, const std::string& dir,
                                             const PipelineState& state);
// The same with the bytes EncodePipelineState made.
[[nodiscard]] base::Status SaveEncodedPipelineState(base::Env& env, const std::string& dir,
                                                    std::string_view bytes);
// The saved state whose positions are `positions` (state, else
// state.prev); NotFound when neither matches or there is none, Corruption
// when the matching candidate is damaged.
[[nodiscard]] base::Result<PipelineState> LoadPipelineState(
    base::Env& env, const std::string& dir, const std::vector<std::uint64_t>& positions);

}  // namespace promorec::pipeline
