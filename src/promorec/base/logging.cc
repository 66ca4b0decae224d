#include "promorec/base/logging.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace promorec::base {
namespace {

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
};

constexpr std::array<LevelName, 8> kLevels = {{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"warning", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"critical", spdlog::level::critical},
    {"off", spdlog::level::off},
}};

// ISO-8601-like local time with milliseconds, then the level, then the text.
constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l [%t] %v";

}  // namespace

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  for (const LevelName& entry : kLevels) {
    if (entry.name == name) return entry.level;
  }
  std::string valid;
  for (const LevelName& entry : kLevels) {
    if (!valid.empty()) valid += ", ";
    valid += entry.name;
  }
  return InvalidArgument("unknown log level \"" + std::string(name) + "\"; valid levels: " + valid);
}

void InitLogging(std::string_view level) {
  Result<spdlog::level::level_enum> parsed = ParseLogLevel(level);
  try {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>("promorec", std::move(sink));
    logger->set_pattern(kPattern);
    logger->set_level(parsed.value_or(spdlog::level::info));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
    if (!parsed) spdlog::warn("{}; using info", parsed.error().message());
  } catch (const std::exception& e) {
    // spdlog reports setup failures by throwing; logging is not worth
    // terminating for, and nothing may escape this API.
    std::fputs("promorec: cannot set up logging: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputs("\n", stderr);
  }
}

}  // namespace promorec::base
