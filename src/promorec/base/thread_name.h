#pragma once

#include <string_view>

namespace promorec::base {

// Names the calling thread, as `top -H`, `ps -L`, perf and gdb show it.
// Linux keeps 15 bytes; a longer name is cut. Best effort: failures are
// ignored.
void SetThreadName(std::string_view name);

// Background CPU priority for the calling thread, for work that must not
// delay requests and decisions (the lake's files). With CAP_SYS_NICE it is
// SCHED_IDLE (runs when nothing else wants the CPU), which
// NormalThreadPriority can undo; without, nice 10, which an unprivileged
// thread cannot undo (Linux lets it lower its priority only). Returns
// whether NormalThreadPriority can undo it. Best effort.
bool LowerThreadPriority();
// Back to SCHED_OTHER at nice 0; false when not allowed.
bool NormalThreadPriority();

}  // namespace promorec::base
