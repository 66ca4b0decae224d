// SIGINT and SIGTERM for long-running commands (serve, demo): blocked from
// construction on, in this thread and every thread started after it, so
// that only Wait receives them. Construct before starting server threads.
// Thread-safety: one per process, used from main's thread.
#pragma once

#include <signal.h>

namespace promorec::app {

class StopSignals {
 public:
  StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGINT or SIGTERM arrives; returns the signal number.
  int Wait();

 private:
  sigset_t signals_;
};

}  // namespace promorec::app
