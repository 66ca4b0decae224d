// The STREAM file of a stream directory (docs/formats/eventlog.md): the
// stream's name and options, replaced atomically when they change.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/eventlog/stream.h"

namespace promorec::eventlog {

struct StreamMeta {
  std::string name;
  StreamOptions options;
  std::int64_t created_us = 0;
};

std::string EncodeStreamMeta(const StreamMeta& meta);
[[nodiscard]] base::Result<StreamMeta> DecodeStreamMeta(std::string_view bytes);

[[nodiscard]] base::Status WriteStreamMeta(base::Env& env, const std::string& dir,
                                           const StreamMeta& meta);
base::Result<StreamMeta> ReadStreamMeta(base::Env& env, const std::string& dir);

}  // namespace promorec::eventlog
