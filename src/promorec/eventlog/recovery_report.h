// What opening or checking a stream found: each piece of damage with where
// it is and what was (or, for a check, would be) done about it.
// Thread-safety: a value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace promorec::eventlog {

enum class FindingKind : std::uint8_t {
  kTornTail,       // a partial write at the end of the newest segment
  kCorruption,     // damage in the middle of a segment, skipped
  kBadHeader,      // a segment whose header is damaged, skipped whole
  kBadMeta,        // a damaged STREAM file
  kBadCheckpoint,  // a damaged checkpoint, treated as absent
  kIndexRebuilt,   // a sealed segment's .idx was missing or damaged (a note)
  kRemovedEmpty,   // an empty newest segment left by a crash (a note)
};

std::string_view FindingKindName(FindingKind kind);

struct Finding {
  FindingKind kind;
  std::string path;          // the file
  std::uint64_t offset = 0;  // first affected byte
  std::uint64_t length = 0;  // bytes affected
  std::string message;       // what, and what was done
  // Damage loses data or makes it unreadable; notes do not.
  bool is_damage() const {
    return kind != FindingKind::kIndexRebuilt && kind != FindingKind::kRemovedEmpty;
  }
};

struct RecoveryReport {
  std::vector<Finding> findings;

  bool clean() const;
  void Add(Finding finding) { findings.push_back(std::move(finding)); }
  void Append(const RecoveryReport& other);
  // One line per finding: "<path> @<offset> (+<length> bytes): <kind>: <message>".
  std::string ToText() const;
  // {"clean":bool,"findings":[{"kind":...,"path":...,"offset":...,"length":...,"message":...}]}
  std::string ToJson() const;
};

}  // namespace promorec::eventlog
