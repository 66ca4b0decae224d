// `promorec bench log`: append and read speed of the event log on this
// machine's disk, against the raw speed of the same disk measured in the
// same run. Thread-safety: runs on the caller's thread (spawning appenders).
#pragma once

#include <string>

namespace promorec::app {

struct LogBenchOptions {
  std::string data_dir;
  double seconds = 0.5;  // per measurement
  int repeat = 3;        // medians over this many runs
  bool json = false;
};

int RunLogBench(const LogBenchOptions& options);

}  // namespace promorec::app
