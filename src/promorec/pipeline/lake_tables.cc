#include "promorec/pipeline/lake_tables.h"

#include <charconv>

#include "promorec/base/json_string.h"

namespace promorec::pipeline {

namespace {

using lake::ColumnType;

std::string Double(double value) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

}  // namespace

std::span<const std::string_view> Row::Fields() {
  views_.assign(values_.begin(), values_.end());
  return views_;
}

lake::TableSchema ClicksTable() {
  return {"clicks",
          {{"event_id", ColumnType::kString, "the event's id (given, or derived from its content)"},
           {"user_id", ColumnType::kString, "the shopper"},
           {"type", ColumnType::kString, "view, click or buy"},
           {"offer_id", ColumnType::kString, "the promotion shown or used; empty for none"},
           {"promotion_code", ColumnType::kString, "the coupon code entered or followed"},
           {"country", ColumnType::kString, "country code"},
           {"category", ColumnType::kString, "category of the product or page"},
           {"product", ColumnType::kString, "the product"},
           {"event_time", ColumnType::kTimestamp, "when it happened (UTC)"},
           {"rating", ColumnType::kBigint, "0 for a view, 1 for a click or buy"},
           {"price", ColumnType::kDouble, "the product's price, when given"},
           {"quantity", ColumnType::kBigint, "how many, when given"},
           {"session_id", ColumnType::kString, "the shopper's session, when given"},
           {"attributes", ColumnType::kString, "other key/value pairs, as a JSON object"}},
          "one accepted click-stream event (repeats of an event id within the dedup window left "
          "out)"};
}

lake::TableSchema DecisionsTable() {
  return {"decisions",
          {{"decision_id", ColumnType::kString, "the decision's id, derived from the event's"},
           {"event_id", ColumnType::kString, "the event (or request id) it answered"},
           {"source", ColumnType::kString, "event (a qualifying event) or request (the API)"},
           {"user_id", ColumnType::kString, "the shopper"},
           {"decision_time", ColumnType::kTimestamp, "the event's time (UTC)"},
           {"country", ColumnType::kString, "the context scored: country"},
           {"category", ColumnType::kString, "the context scored: category"},
           {"product", ColumnType::kString, "the context scored: product"},
           {"promotion_id", ColumnType::kString, "the promotion chosen"},
           {"promotion_code", ColumnType::kString, "its coupon code"},
           {"probability", ColumnType::kDouble, "of that choice under the policy"},
           {"model_version", ColumnType::kString, "the model in service; empty: none"},
           {"policy", ColumnType::kString, "epsilon_greedy, softmax, greedy or uniform"},
           {"epsilon", ColumnType::kDouble, "the policy's epsilon"},
           {"temperature", ColumnType::kDouble, "the policy's softmax temperature"},
           {"seed", ColumnType::kString, "the configured seed of the policy's randomness"},
           {"candidates", ColumnType::kString,
            "every promotion's score or the rule that removed it, as JSON by catalogue index (see "
            "docs/formats/decision-record.md)"},
           {"subject", ColumnType::kString, "the notification's subject"},
           {"message", ColumnType::kString, "the notification's text"}},
          "one decision of the ad log (stream impressions)"};
}

lake::TableSchema ExamplesTable() {
  return {"examples",
          {{"example_id", ColumnType::kString, "the decision's id; the last row per id counts"},
           {"user_id", ColumnType::kString, "the shopper"},
           {"country", ColumnType::kString, "the context at decision time: country"},
           {"category", ColumnType::kString, "the context at decision time: category"},
           {"product", ColumnType::kString, "the context at decision time: product"},
           {"decision_time", ColumnType::kTimestamp, "when the decision was made (UTC)"},
           {"promotion_id", ColumnType::kString, "the promotion shown"},
           {"probability", ColumnType::kDouble, "of showing it, under the policy"},
           {"model_version", ColumnType::kString, "the model that scored it; empty: none"},
           {"policy", ColumnType::kString, "the policy that chose it"},
           {"label", ColumnType::kBigint, "1: clicked or bought within the window; 0: not"},
           {"outcome_event_id", ColumnType::kString, "the click or buy, for label 1"},
           {"outcome_time", ColumnType::kTimestamp, "when it happened, for label 1"},
           {"correction", ColumnType::kBoolean, "true: a late outcome corrects a label 0"}},
          "one labelled decision (stream examples)"};
}

void ClicksRow(const event::ClickEvent& e, Row* row) {
  row->Clear();
  row->Add(e.event_id);
  row->Add(e.user_id);
  row->Add(std::string(event::EventTypeName(e.type)));
  row->Add(e.HasPromotion() ? e.offer_id : "");
  row->Add(e.promotion_code);
  row->Add(e.country);
  row->Add(e.category);
  row->Add(e.product);
  row->Add(std::to_string(e.timestamp_us));
  row->Add(std::to_string(e.rating));
  row->Add(e.price ? Double(*e.price) : "");
  row->Add(e.quantity ? std::to_string(*e.quantity) : "");
  row->Add(e.session_id);
  std::string attributes;
  if (!e.attributes.empty()) {
    attributes = "{";
    for (const auto& [key, value] : e.attributes) {
      if (attributes.size() > 1) attributes += ',';
      base::AppendJsonString(key, &attributes);
      attributes += ':';
      base::AppendJsonString(value, &attributes);
    }
    attributes += '}';
  }
  row->Add(std::move(attributes));
}

void DecisionsRow(const DecisionRecord& d, Row* row) {
  row->Clear();
  row->Add(d.decision_id);
  row->Add(d.event_id);
  row->Add(d.source);
  row->Add(d.user_id);
  row->Add(std::to_string(d.time_us));
  row->Add(d.country);
  row->Add(d.category);
  row->Add(d.product);
  row->Add(d.promotion_id);
  row->Add(d.promotion_code);
  row->Add(Double(d.probability));
  row->Add(d.model_version);
  row->Add(d.policy);
  row->Add(Double(d.epsilon));
  row->Add(Double(d.temperature));
  row->Add(std::to_string(d.seed));
  std::string candidates;
  AppendCandidatesJson(d, &candidates);
  row->Add(std::move(candidates));
  row->Add(d.subject);
  row->Add(d.message);
}

void ExamplesRow(const Example& e, Row* row) {
  row->Clear();
  row->Add(e.example_id);
  row->Add(e.user_id);
  row->Add(e.country);
  row->Add(e.category);
  row->Add(e.product);
  row->Add(std::to_string(e.time_us));
  row->Add(e.promotion_id);
  row->Add(Double(e.probability));
  row->Add(e.model_version);
  row->Add(e.policy);
  row->Add(std::to_string(e.label));
  row->Add(e.outcome_event_id);
  row->Add(e.label == 1 ? std::to_string(e.outcome_time_us) : "");
  row->Add(e.correction ? "true" : "false");
}

}  // namespace promorec::pipeline
