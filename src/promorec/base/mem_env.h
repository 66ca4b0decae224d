// An in-memory Env for tests: fast, hermetic, and leaves nothing on disk.
//
// It mimics POSIX closely enough that code tested on it behaves the same on a
// real disk: directories exist only once created (a file in a missing
// directory is NotFound), open files keep their data when renamed or removed,
// and errors carry the same codes and strerror texts as the POSIX Env.
// Writes are not buffered, so Flush and Sync have nothing to do; durability
// faults are fault_env.h's job.
//
// Thread-safety: the Env is safe to use from many threads; each file object
// follows the contract in env.h.
#pragma once

#include <memory>

#include "promorec/base/env.h"

namespace promorec::base {

// "/" and "." exist from the start; everything else must be created.
std::unique_ptr<Env> NewMemEnv();

}  // namespace promorec::base
