// Counters of the records put through the Kinesis API, by stream and by
// what their data was (a click event, other data, refused), for /metrics.
// Thread-safety: CountKinesisRecord may run on many threads at once.
#pragma once

#include <string_view>

#include "promorec/kinesis/kinesis_api.h"
#include "promorec/metrics/registry.h"

namespace promorec::app {

void CountKinesisRecord(metrics::Registry& registry, std::string_view stream,
                        kinesis::KinesisRecordKind kind);

}  // namespace promorec::app
