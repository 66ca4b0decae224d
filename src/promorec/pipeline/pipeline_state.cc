#include "promorec/pipeline/pipeline_state.h"

#include <cstring>

#include "promorec/base/crc32c.h"

namespace promorec::pipeline {

namespace {

constexpr std::string_view kMagic = "PRPIPEST";
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxShards = 1024;

void Put32(std::uint32_t v, std::string* out) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}
void Put64(std::uint64_t v, std::string* out) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U32(std::uint32_t* v) { return Fixed(v, sizeof *v); }
  bool U64(std::uint64_t* v) { return Fixed(v, sizeof *v); }
  bool Bytes(std::string* out) {
    std::uint64_t size = 0;
    if (!U64(&size) || size > data_.size()) return false;
    out->assign(data_.substr(0, size));
    data_.remove_prefix(size);
    return true;
  }
  std::size_t left() const { return data_.size(); }

 private:
  template <typename T>
  bool Fixed(T* v, std::size_t n) {
    if (data_.size() < n) return false;
    std::memcpy(v, data_.data(), n);
    data_.remove_prefix(n);
    return true;
  }
  std::string_view data_;
};

}  // namespace

void EncodePipelineState(const PipelineState& state, std::string* out) {
  const std::size_t start = out->size();
  out->append(kMagic);
  Put32(kVersion, out);
  Put32(static_cast<std::uint32_t>(state.positions.size()), out);
  for (const std::uint64_t p : state.positions) Put64(p, out);
  Put64(state.dedup_manifest.size(), out);
  out->append(state.dedup_manifest);
  Put64(state.stage.size(), out);
  out->append(state.stage);
  Put32(base::Crc32cMask(base::Crc32c(std::string_view(*out).substr(start))), out);
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
  Reader r(body.substr(kMagic.size()));
  std::uint32_t version = 0;
  std::uint32_t shards = 0;
  if (!r.U32(&version)) return bad("truncated version");
  if (version != kVersion) {
    return bad("version " + std::to_string(version) + "; this build reads version " +
               std::to_string(kVersion));
  }
  if (!r.U32(&shards) || shards > kMaxShards) return bad("bad shard count");
  PipelineState state;
  state.positions.resize(shards);
  for (std::uint64_t& p : state.positions) {
    if (!r.U64(&p)) return bad("truncated positions");
  }
  if (!r.Bytes(&state.dedup_manifest)) return bad("truncated dedup manifest");
  if (!r.Bytes(&state.stage)) return bad("truncated decision stage state");
  if (r.left() != 0) return bad(std::to_string(r.left()) + " bytes after the last field");
  return state;
}

base::Status SavePipelineState(base::Env& env, const std::string& dir, const PipelineState& state) {
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(dir));
  const std::string path = dir + "/state";
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (exists) PROMOREC_RETURN_IF_ERROR(env.RenameFile(path, path + ".prev"));
  std::string bytes;
  EncodePipelineState(state, &bytes);
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
