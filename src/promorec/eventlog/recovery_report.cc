#include "promorec/eventlog/recovery_report.h"

#include <algorithm>

#include "promorec/base/json_string.h"

namespace promorec::eventlog {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kTornTail:
      return "torn_tail";
    case FindingKind::kCorruption:
      return "corruption";
    case FindingKind::kBadHeader:
      return "bad_header";
    case FindingKind::kBadMeta:
      return "bad_meta";
    case FindingKind::kBadCheckpoint:
      return "bad_checkpoint";
    case FindingKind::kIndexRebuilt:
      return "index_rebuilt";
    case FindingKind::kRemovedEmpty:
      return "removed_empty_segment";
  }
  return "unknown";
}

bool RecoveryReport::clean() const {
  return std::none_of(findings.begin(), findings.end(),
                      [](const Finding& f) { return f.is_damage(); });
}

void RecoveryReport::Append(const RecoveryReport& other) {
  findings.insert(findings.end(), other.findings.begin(), other.findings.end());
}

std::string RecoveryReport::ToText() const {
  std::string out;
  for (const Finding& f : findings) {
    out += f.path + " @" + std::to_string(f.offset) + " (+" + std::to_string(f.length) +
           " bytes): " + std::string(FindingKindName(f.kind)) + ": " + f.message + "\n";
  }
  return out;
}

std::string RecoveryReport::ToJson() const {
  std::string out = clean() ? "{\"clean\":true,\"findings\":[" : "{\"clean\":false,\"findings\":[";
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (i > 0) out += ",";
    out += "{\"kind\":";
    base::AppendJsonString(FindingKindName(f.kind), &out);
    out += ",\"path\":";
    base::AppendJsonString(f.path, &out);
    out += ",\"offset\":" + std::to_string(f.offset) + ",\"length\":" + std::to_string(f.length) +
           ",\"message\":";
    base::AppendJsonString(f.message, &out);
    out += "}";
  }
  out += "]}";
  return out;
}

}  // namespace promorec::eventlog
