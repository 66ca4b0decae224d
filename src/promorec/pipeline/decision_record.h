// One decision as the ad log (stream `impressions`) keeps it: which event
// it answered, whom it was for, what was chosen with what probability,
// every promotion with its score or the rule that removed it, the model
// version, the policy and its parameters, and the notification it sent.
// One JSON object per stream record (docs/formats/decision-record.md), so
// that people, the lake and other programs read it without our code.
//
// Thread-safety: plain value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/notify/notification.h"

namespace promorec::pipeline {

inline constexpr int kDecisionRecordVersion = 1;

// One promotion of the catalogue, at its index.
struct CandidateRecord {
  float score = 0.0f;      // the served score (6 significant digits); 0 when removed
  std::string removed_by;  // the rule's name (policy::IneligibleName), or empty

  friend bool operator==(const CandidateRecord&, const CandidateRecord&) = default;
};

struct DecisionRecord {
  std::string decision_id;
  std::string event_id;
  // "event" (a qualifying event in the clicks stream) or "request"
  // (POST /v1/decisions).
  std::string source;
  std::string user_id;
  // The shopper's address for email, from the event's attribute "email";
  // left out of the record when empty.
  std::string email;
  std::int64_t time_us = 0;  // of the event (or request)
  std::string country;
  std::string category;
  std::string product;
  std::string promotion_id;
  std::string promotion_code;
  std::string promotion_text;
  double probability = 0.0;
  std::string model_version;  // empty: no model (uniform choice)
  std::string policy;         // policy::ExplorationKindName
  double epsilon = 0.0;
  double temperature = 0.0;
  std::uint64_t seed = 0;
  // Every promotion of the catalogue, in catalogue order: its score, or
  // the rule that removed it. `catalogue` names the list of promotion ids
  // the indices refer to (DATA_DIR/catalog/promotions-<catalogue>.json),
  // which keeps a decision over 1,000 promotions a few KB.
  std::string catalogue;
  std::vector<CandidateRecord> candidates;
  // The candidates' JSON as read, when parsed with kSkipCandidates (readers
  // that pass it on, such as the lake, need not parse a thousand scores).
  std::string candidates_json;
  std::string subject;
  std::string message;

  friend bool operator==(const DecisionRecord&, const DecisionRecord&) = default;
};

// The decision id for an event: 32 hex digits derived from the event id
// (and the source), the same every time the event is decided.
std::string DecisionId(std::string_view source, std::string_view event_id);

// The id of a catalogue: 16 hex digits over its promotion ids in order.
std::string CatalogueId(const std::vector<std::string>& promotion_ids);

// {"catalogue":"...","scores":[0.0123,null,...],"removed_by":{"rule":[1,...]}}:
// the candidates as the record and the lake's decisions table hold them.
void AppendCandidatesJson(const DecisionRecord& record, std::string* out);

// The shopper's notification of a decision, as every channel delivers it,
// for the record at `sequence` of `shard` of the impressions stream (its
// position: the live stream's event id, from which a client resumes).
notify::Notification NotificationOf(const DecisionRecord& record, std::uint32_t shard,
                                    std::uint64_t sequence);

// Appends the record as one line of JSON (no newline).
void AppendDecisionJson(const DecisionRecord& record, std::string* out);

enum class CandidateParsing : std::uint8_t { kParse, kSkipCandidates };

// Parses what AppendDecisionJson wrote. InvalidArgument naming the field
// and why for anything else. With kSkipCandidates the candidates are left
// unparsed: `candidates` stays empty and `candidates_json` holds their text.
[[nodiscard]] base::Result<DecisionRecord> ParseDecisionJson(
    std::string_view json, CandidateParsing candidates = CandidateParsing::kParse);

}  // namespace promorec::pipeline
