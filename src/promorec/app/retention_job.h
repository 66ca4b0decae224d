// Retention on every stream of the event log, as each stream's settings say
// (Stream::EnforceRetention), as a job serve runs on a schedule; what it
// deleted is counted in /metrics by stream.
// Thread-safety: one run at a time (the scheduler's); the counters may be
// read from any thread.
#pragma once

#include "promorec/base/status.h"
#include "promorec/eventlog/stream.h"
#include "promorec/metrics/registry.h"

namespace promorec::app {

// Enforces retention on every stream of `store`. A stream that fails is
// logged in the error returned after the others have had their turn.
[[nodiscard]] base::Status EnforceRetentionEverywhere(eventlog::StreamStore& store,
                                                      metrics::Registry& registry);

}  // namespace promorec::app
