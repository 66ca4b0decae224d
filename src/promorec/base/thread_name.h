#pragma once

#include <string_view>

namespace promorec::base {

// Names the calling thread, as `top -H`, `ps -L`, perf and gdb show it.
// Linux keeps 15 bytes; a longer name is cut. Best effort: failures are
// ignored.
void SetThreadName(std::string_view name);

// Gives the calling thread the lowest CPU priority (SCHED_IDLE, else nice
// 19), for work that must not delay requests and decisions (the lake's
// files). Best effort: failures are ignored.
void LowerThreadPriority();

}  // namespace promorec::base
