// Process logging: spdlog's default logger, writing to stderr.
//
// Call InitLogging once from main(); everything else logs with spdlog::info,
// spdlog::warn and friends. Diagnostics go to stderr so that stdout stays
// free for machine-readable output (--json).
//
// Thread-safety: logging calls are safe from any thread (spdlog's _mt
// sinks). InitLogging replaces the default logger and should run before
// other threads start logging.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "promorec/base/status.h"

namespace promorec::base {

// "trace", "debug", "info", "warn" (or "warning"), "error", "critical", "off".
[[nodiscard]] Result<spdlog::level::level_enum> ParseLogLevel(std::string_view name);

// Installs a stderr logger with timestamp and level as spdlog's default and
// sets its level. An unknown level name falls back to "info" with a warning
// in the log rather than failing, because losing all logging over a typo is
// worse; validate with ParseLogLevel first to reject bad input.
void InitLogging(std::string_view level);

}  // namespace promorec::base
