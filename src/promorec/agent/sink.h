// Where the agent delivers lines, and how:
// - EventsSink: promorec's own ingest route, POST <url>/v1/events, the
//   lines joined by '\n' as text/csv (classic click lines) or
//   application/x-ndjson (JSON events). The server's answer lists lines it
//   rejected as invalid; those are logged and not sent again. KASANDR lines
//   are not accepted by that route (it reads classic lines, JSON and
//   NDJSON only), so they go to a Kinesis stream or nowhere.
// - KinesisSink: the Kinesis Data Streams API, POST <url>/ with
//   X-Amz-Target Kinesis_20131202.PutRecords; each line is one record's
//   Data, partitioned by its user id when the format has one, else by a
//   hash of the line. Only records whose ErrorCode says "try again"
//   (ProvisionedThroughputExceededException, InternalFailure) are retried;
//   records refused as invalid are logged and dropped. Requests carry an
//   Authorization header in SigV4's shape (credential scope
//   promorec/<date>/<region>/kinesis/aws4_request) whose signature is not
//   computed: promorec's server does not verify signatures, AWS would.
//
// Lines are sent byte for byte (the server derives an event's id from its
// content, so a line sent twice is the same event).
//
// Thread-safety: a sink is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/agent/http_client.h"
#include "promorec/base/clock.h"
#include "promorec/base/status.h"

namespace promorec::agent {

enum class LineFormat : std::uint8_t { kClick, kKasandr, kJson };

// "click", "kasandr", "json".
[[nodiscard]] base::Result<LineFormat> ParseLineFormat(std::string_view name);
std::string_view LineFormatName(LineFormat format);

// The partition key for `line`: its user id (the first column of a click
// line, "user_id"/"userid" of a JSON event) when it has a usable one
// (1..256 bytes), else 32 hex digits of a hash of the line.
std::string PartitionKey(LineFormat format, std::string_view line);

struct SendResult {
  // Positions (in the span given to Send) of lines to send again.
  std::vector<std::size_t> retry;
  // Lines the server refused as invalid; they are not sent again.
  std::size_t rejected = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Delivers `lines`. An error means nothing is known to be delivered: its
  // code is kUnavailable when trying again may help (connection problems,
  // timeouts, 5xx, throttling), anything else when it cannot (a request the
  // server refuses as a whole).
  [[nodiscard]] virtual base::Result<SendResult> Send(std::span<const std::string_view> lines) = 0;
  // "http://host:port/v1/events" or "stream NAME at http://host:port/".
  virtual std::string Describe() const = 0;
};

// `format` must be kClick or kJson.
std::unique_ptr<Sink> NewEventsSink(HttpClient& client, LineFormat format);
std::unique_ptr<Sink> NewKinesisSink(HttpClient& client, std::string stream, LineFormat format,
                                     base::Clock& clock);

// Most records one PutRecords call takes.
inline constexpr std::size_t kMaxPutRecords = 500;

}  // namespace promorec::agent
