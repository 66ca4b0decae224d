// The Kinesis Data Streams API (JSON 1.1 protocol, target prefix
// Kinesis_20131202) on promorec's event log, so that unmodified AWS CLI and
// SDK producers and consumers work against promorec. Transport-independent:
// the caller passes the X-Amz-Target header and the body and sends back the
// reply. Mapping, limits and errors: docs/formats/kinesis-api.md.
//
// Records whose data is a click event (a classic click line or a JSON event)
// can also reach the click stream the pipeline reads: see
// KinesisOptions::append_clicks.
//
// Thread-safety: Handle may be called from many threads at once. The store
// and the clock must be thread-safe (eventlog's and base's are) and outlive
// the KinesisApi. The iterator key is fixed at construction; the throughput
// buckets and parser pool are guarded internally. on_record and
// append_clicks are called concurrently from the handling threads and must
// be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "promorec/base/clock.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/decode_error.h"
#include "promorec/eventlog/stream.h"

namespace promorec::kinesis {

inline constexpr std::string_view kKinesisTargetPrefix = "Kinesis_20131202.";
inline constexpr std::string_view kKinesisContentType = "application/x-amz-json-1.1";

// What became of one record of a PutRecord(s) call.
enum class KinesisRecordKind : std::uint8_t {
  // Stored, and its data is a click event, appended to the click stream too
  // (put to the click stream itself: stored as that event's record).
  kClick,
  // Stored as it came; its data is not a click event (or no click stream
  // is configured).
  kOther,
  // Put to the click stream but not a click event: refused.
  kRejected,
};

// Appends click events to the click stream; returns once they are durable,
// with each event's shard and sequence number in `results` when it is not
// empty (then it has one entry per event).
using AppendClicks = std::function<base::Status(std::span<const event::ClickEvent> events,
                                                std::span<eventlog::PutResult> results)>;

struct KinesisOptions {
  // Used only to build ARNs; nothing is checked against it.
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Options for streams made by CreateStream; shard_count is replaced by the
  // request's ShardCount.
  eventlog::StreamOptions stream_defaults;
  // Shards of a stream created with StreamModeDetails ON_DEMAND and no
  // ShardCount.
  std::uint32_t on_demand_shard_count = 4;
  // ShardCount above this is LimitExceededException (the store allows 1024).
  std::uint32_t max_shard_count = 1024;
  // Records per second each shard accepts (a token bucket that holds one
  // second's worth); 0 = no limit. AWS allows 1000.
  double shard_records_per_second = 0;
  // Key for signing shard iterators. Empty: a random key per KinesisApi, so
  // iterators stay valid only within one process (they live 5 minutes).
  // Servers that share iterators must share a key.
  std::string iterator_key;
  // Called for each record a successful put stored, and for each refused
  // as not a click event, with its stream name, data and kind.
  std::function<void(std::string_view stream, std::string_view data, KinesisRecordKind kind)>
      on_record;
  // When set, the click event in the data of each record stored in any
  // stream (DecodeClickData) is also appended through it to the stream
  // `click_stream`, durable before the reply. Its event id follows the rule
  // of every entry point (ingest/record_batch.h): the event's own event_id,
  // else the content id of what was sent, so a producer's retry of a record,
  // or the same event sent over HTTP, gets the same id. Records put to
  // `click_stream`
  // itself must be click events (or binary event records): each is stored
  // once, as its event's record keyed by user id, and any other data is
  // refused with InvalidArgumentException. Unset: data is only stored.
  AppendClicks append_clicks;
  std::string click_stream = "clicks";
};

struct KinesisReply {
  int status = 200;
  std::string body;
  std::string content_type = std::string(kKinesisContentType);
};

class KinesisApi {
 public:
  KinesisApi(eventlog::StreamStore& store, const base::Clock& clock, KinesisOptions options);
  ~KinesisApi();
  KinesisApi(const KinesisApi&) = delete;
  KinesisApi& operator=(const KinesisApi&) = delete;

  // `target` is the X-Amz-Target header ("Kinesis_20131202.PutRecord").
  // Never throws: failures are replies in AWS's error shape.
  KinesisReply Handle(std::string_view target, std::string_view body) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The click event in a record's data: a classic click line
// (userid,offerid,countrycode,category,merchant,utcdate,rating; one trailing
// line break allowed) or a JSON click event object. An event without a
// timestamp gets `default_timestamp_us`. `out->event_id` is the event's own
// event_id, else its content id (event::AssignContentEventId).
// The error says why the data is not a click event: what is wrong with the
// JSON object, or with the data as a click line. `*out` is valid only when
// the result is ok.
[[nodiscard]] event::DecodeStatus DecodeClickData(std::string_view data,
                                                  std::int64_t default_timestamp_us,
                                                  event::ClickEvent* out);

}  // namespace promorec::kinesis
