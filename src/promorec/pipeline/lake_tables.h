// The lake's tables (docs/formats/lake.md): their schemas, and the row each
// record becomes.
//   clicks     every event the pipeline accepted (repeats left out), by the
//              event's time;
//   decisions  the ad log (stream `impressions`), by decision time;
//   examples   attribution's labelled decisions (stream `examples`), by
//              decision time.
// Personal data the streams carry for delivery (a shopper's email address)
// is not copied to the lake.
// Thread-safety: pure functions; a Row is a value.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/event/click_event.h"
#include "promorec/lake/schema.h"
#include "promorec/pipeline/attribution.h"
#include "promorec/pipeline/decision_record.h"

namespace promorec::pipeline {

lake::TableSchema ClicksTable();
lake::TableSchema DecisionsTable();
lake::TableSchema ExamplesTable();

// One row's values as the lake writer takes them (timestamps as µs).
class Row {
 public:
  void Clear() { values_.clear(); }
  void Add(std::string value) { values_.push_back(std::move(value)); }
  std::span<const std::string_view> Fields();

 private:
  std::vector<std::string> values_;
  std::vector<std::string_view> views_;
};

void ClicksRow(const event::ClickEvent& event, Row* row);
void DecisionsRow(const DecisionRecord& decision, Row* row);
void ExamplesRow(const Example& example, Row* row);

}  // namespace promorec::pipeline
