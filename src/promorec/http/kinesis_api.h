// The Kinesis Data Streams API (JSON 1.1 protocol, target prefix
// Kinesis_20131202) on promorec's event log, so that unmodified AWS CLI and
// SDK producers and consumers work against promorec. Transport-independent:
// the caller passes the X-Amz-Target header and the body and sends back the
// reply. Mapping, limits and errors: docs/formats/kinesis-api.md.
//
// Thread-safety: Handle may be called from many threads at once. The store
// and the clock must be thread-safe (eventlog's and base's are) and outlive
// the KinesisApi. The iterator key is fixed at construction; the throughput
// buckets and parser pool are guarded internally. on_record is called
// concurrently from the handling threads and must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "promorec/base/clock.h"
#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"

namespace promorec::http {

inline constexpr std::string_view kKinesisTargetPrefix = "Kinesis_20131202.";
inline constexpr std::string_view kKinesisContentType = "application/x-amz-json-1.1";

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
  // Called after each record is stored, with its stream name and data.
  std::function<void(std::string_view stream, std::string_view data)> on_record;
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

// The record data as a click event when it is a classic click line
// (userid,offerid,countrycode,category,merchant,utcdate,rating; one trailing
// line break allowed) or a JSON click event object; nullopt otherwise.
std::optional<event::ClickEvent> DecodeClickData(std::string_view data);

}  // namespace promorec::http
