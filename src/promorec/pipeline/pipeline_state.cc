#include "promorec/pipeline/pipeline_state.h"

#include <cstring>

#include "promorec/base/byte_io.h"
#include "promorec/base/crc32c.h"

namespace promorec::pipeline {

namespace {

constexpr std::string_view kMagic = "PRPIPEST";
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxShards = 1024;

}  // namespace

void EncodePipelineState(const PipelineState& state, std::string* out) {
  EncodePipelineState(
      state, [&state](std::string* to) { to->append(state.stage); }, out);
}

void EncodePipelineState(const PipelineState& state,
                         const std::function<void(std::string*)>& encode_stage, std::string* out) {
  const std::size_t start = out->size();
  out->append(kMagic);
  base::PutFixed32(out, kVersion);
  base::PutFixed32(out, static_cast<std::uint32_t>(state.positions.size()));
  for (const std::uint64_t p : state.positions) base::PutFixed64(out, p);
  base::PutLengthPrefixed(out, state.dedup_manifest);
  const std::size_t stage = base::BeginLengthPrefixed(out);
  encode_stage(out);
  base::EndLengthPrefixed(out, stage);
  base::PutFixed32(out, base::Crc32cMask(base::Crc32c(std::string_view(*out).substr(start))));
}

base::Result<PipelineState> DecodePipelineState(std::string_view data, std::string_view source) {
  const auto bad = [source](const std::string& why) {
    return base::Corruption(std::string(source) + ": " + why);
  };
  if (data.size() < kMagic.size() + 12 || data.substr(0, kMagic.size()) != kMagic) {
    return bad("not a pipeline state file (bad magic or too short)");
  }
  std::uint32_t stored = 0;
  std::memcpy(&stored, data.data() + data.size() - 4, 4);
  const std::string_view body = data.substr(0, data.size() - 4);
  if (const std::uint32_t computed = base::Crc32cMask(base::Crc32c(body)); computed != stored) {
    return bad("checksum mismatch (stored " + std::to_string(stored) + ", computed " +
               std::to_string(computed) + ")");
  }
  base::ByteReader r(body.substr(kMagic.size()));
  std::uint32_t version = 0;
  std::uint32_t shards = 0;
  if (!r.Fixed32(&version)) return bad("truncated version");
  if (version != kVersion) {
    return bad("version " + std::to_string(version) + "; this build reads version " +
               std::to_string(kVersion));
  }
  if (!r.Fixed32(&shards) || shards > kMaxShards) return bad("bad shard count");
  PipelineState state;
  state.positions.resize(shards);
  for (std::uint64_t& p : state.positions) {
    if (!r.Fixed64(&p)) return bad("truncated positions");
  }
  if (!r.LengthPrefixed(&state.dedup_manifest)) return bad("truncated dedup manifest");
  if (!r.LengthPrefixed(&state.stage)) return bad("truncated decision stage state");
  if (!r.done()) return bad(std::to_string(r.rest().size()) + " bytes after the last field");
  return state;
}

base::Status SavePipelineState(base::Env& env, const std::string& dir, const PipelineState& state) {
  std::string bytes;
  EncodePipelineState(state, &bytes);
  return SaveEncodedPipelineState(env, dir, bytes);
}

base::Status SaveEncodedPipelineState(base::Env& env, const std::string& dir,
                                      std::string_view bytes) {
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(dir));
  const std::string path = dir + "/state";
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (exists) PROMOREC_RETURN_IF_ERROR(env.RenameFile(path, path + ".prev"));
  return base::WriteFileAtomically(env, path, bytes);
}

base::Result<PipelineState> LoadPipelineState(base::Env& env, const std::string& dir,
                                              const std::vector<std::uint64_t>& positions) {
  for (const char* name : {"/state", "/state.prev"}) {
    const std::string path = dir + name;
    PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
    if (!exists) continue;
    PROMOREC_ASSIGN_OR_RETURN(const std::string bytes, base::ReadFileToString(env, path));
    auto state = DecodePipelineState(bytes, path);
    if (!state) return std::unexpected(std::move(state).error());
    if (state->positions == positions) return state;
  }
  return base::NotFound(dir + ": no pipeline state saved at the profile snapshot's positions");
}

}  // namespace promorec::pipeline
