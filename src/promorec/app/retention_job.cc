#include "promorec/app/retention_job.h"

#include <string>

namespace promorec::app {

base::Status EnforceRetentionEverywhere(eventlog::StreamStore& store, metrics::Registry& registry) {
  registry.GetCounter("promorec_retention_runs_total", "Retention runs over the event log.").Add();
  PROMOREC_ASSIGN_OR_RETURN(const std::vector<std::string> names, store.ListStreams());
  std::string failed;
  for (const std::string& name : names) {
    auto stream = store.OpenStream(name);
    auto result = stream ? (*stream)->EnforceRetention()
                         : base::Result<eventlog::RetentionResult>(std::unexpected(stream.error()));
    if (!result) {
      failed += (failed.empty() ? "" : "; ") + name + ": " + result.error().ToString();
      registry
          .GetCounter("promorec_retention_failures_total",
                      "Retention runs that failed on a stream.", {{"stream", name}})
          .Add();
      continue;
    }
    const metrics::Labels labels = {{"stream", name}};
    registry
        .GetCounter("promorec_retention_segments_deleted_total", "Segments deleted by retention.",
                    labels)
        .Add(result->segments_deleted);
    registry
        .GetCounter("promorec_retention_bytes_deleted_total", "Bytes deleted by retention.", labels)
        .Add(result->bytes_deleted);
    registry
        .GetCounter("promorec_retention_forced_deletions_total",
                    "Segments deleted by the size limit before a consumer had read them.", labels)
        .Add(result->forced_deletions);
  }
  if (!failed.empty()) return base::IoError("retention: " + failed);
  return {};
}

}  // namespace promorec::app
