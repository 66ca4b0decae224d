#include "promorec/app/kinesis_metrics.h"

#include <string>

namespace promorec::app {

void CountKinesisRecord(metrics::Registry& registry, std::string_view stream,
                        kinesis::KinesisRecordKind kind) {
  const metrics::Labels labels = {{"stream", std::string(stream)}};
  switch (kind) {
    case kinesis::KinesisRecordKind::kClick:
      registry
          .GetCounter("promorec_kinesis_click_events_total",
                      "Records put through the Kinesis API whose data is a click event, "
                      "appended to the clicks stream.",
                      labels)
          .Add();
      break;
    case kinesis::KinesisRecordKind::kOther:
      registry
          .GetCounter("promorec_kinesis_other_records_total",
                      "Records put through the Kinesis API that are not click events, stored "
                      "as they came.",
                      labels)
          .Add();
      break;
    case kinesis::KinesisRecordKind::kRejected:
      registry
          .GetCounter("promorec_kinesis_rejected_records_total",
                      "Records put to the clicks stream through the Kinesis API that are not "
                      "click events, refused.",
                      labels)
          .Add();
      return;
  }
  registry
      .GetCounter("promorec_kinesis_records_total", "Records stored through the Kinesis API.",
                  labels)
      .Add();
}

}  // namespace promorec::app
