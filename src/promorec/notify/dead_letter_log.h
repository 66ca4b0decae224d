// Where notifications that could not be delivered go: one JSON object per
// line (NDJSON) in a file of the data directory's deadletter/ folder, named
// `<channel>-<UTC time>-<pid>.ndjson` (the time the file was created), as
// the import's rejected records are (docs/formats/dead-letter.md):
//   {"channel":"webhook","target":"https://hooks.example.com/promo",
//    "reason":"retries_exhausted","message":"HTTP 503 ...","attempts":8,
//    "time":"2024-06-01T12:00:00Z","time_us":1717243200000000,
//    "notification":{"decision_id":"...",...,"email":"...",...}}
// The notification is written whole (with `order` and `email`, which the
// webhook body leaves out) so that it can be sent again as it was. The file
// is created on the first record only; it is append-only and each record
// is synced unless the caller batches (Stop).
//
// Thread-safety: Put and Sync may be called from any thread (they lock).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/notify/notification.h"

namespace promorec::notify {

// Stable reasons, the dead letter's "reason".
inline constexpr std::string_view kReasonRejected = "rejected";  // a permanent failure
inline constexpr std::string_view kReasonRetriesExhausted = "retries_exhausted";
inline constexpr std::string_view kReasonShutdown = "shutdown";  // still queued at Stop

struct DeadLetter {
  std::string_view channel;
  std::string_view target;
  std::string_view reason;
  std::string_view message;  // the last error
  int attempts = 0;
  std::int64_t time_us = 0;
  const Notification* notification = nullptr;
};

// The record as one JSON object, without a line break.
void AppendDeadLetterJson(const DeadLetter& letter, std::string* out);

class DeadLetterLog {
 public:
  // Files go into `dir`, which is created when the first record comes.
  // `env` and `clock` must outlive the log.
  DeadLetterLog(base::Env& env, const base::Clock& clock, std::string dir, std::string channel);
  ~DeadLetterLog();
  DeadLetterLog(const DeadLetterLog&) = delete;
  DeadLetterLog& operator=(const DeadLetterLog&) = delete;

  // Appends `letter` (and syncs when `sync`). An error says which file and
  // why; the record is then lost, and the caller counts and logs it.
  [[nodiscard]] base::Status Put(const DeadLetter& letter, bool sync = true);
  [[nodiscard]] base::Status Sync();

  // The file's path once the first record made it; "" before.
  std::string path() const;

 private:
  [[nodiscard]] base::Status OpenLocked();

  base::Env& env_;
  const base::Clock& clock_;
  const std::string dir_;
  const std::string channel_;
  mutable std::mutex mu_;
  std::unique_ptr<base::WritableFile> file_;
  std::string path_;
  std::string line_;
};

}  // namespace promorec::notify
