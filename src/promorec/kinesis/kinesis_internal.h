// Internal to the Kinesis API: the implementation behind KinesisApi, one
// member function per operation, split over kinesis_api.cc (dispatch and
// shared helpers), kinesis_streams.cc (stream and shard metadata) and
// kinesis_records.cc (putting and getting records).
// Thread-safety: as KinesisApi; every member is const or guarded.
#pragma once

#include <simdjson.h>

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/eventlog/stream.h"
#include "promorec/kinesis/kinesis_api.h"
#include "promorec/kinesis/kinesis_iterator.h"
#include "promorec/kinesis/kinesis_json.h"
#include "promorec/kinesis/kinesis_throttle.h"

namespace promorec::kinesis {

// One record of a PutRecord(s) request, checked.
struct RecordInput {
  std::string data;
  std::string_view partition_key;
  std::optional<eventlog::HashKey> explicit_hash_key;
};

class KinesisApi::Impl {
 public:
  Impl(eventlog::StreamStore& store, const base::Clock& clock, KinesisOptions options);

  KinesisReply Handle(std::string_view target, std::string_view body);

  // Operations: the request's members in, the reply body out.
  using Fields = kinesis::Fields;
  template <typename T>
  using Outcome = kinesis::Outcome<T>;

  Outcome<std::string> CreateStream(const Fields& request);
  Outcome<std::string> DeleteStream(const Fields& request);
  Outcome<std::string> DescribeStream(const Fields& request);
  Outcome<std::string> DescribeStreamSummary(const Fields& request);
  Outcome<std::string> ListStreams(const Fields& request);
  Outcome<std::string> ListShards(const Fields& request);
  Outcome<std::string> ChangeRetention(const Fields& request, bool increase);
  Outcome<std::string> PutRecord(const Fields& request);
  Outcome<std::string> PutRecords(const Fields& request);
  Outcome<std::string> GetShardIterator(const Fields& request);
  Outcome<std::string> GetRecords(const Fields& request);

 private:
  using RecordInput = kinesis::RecordInput;

  // Click events (kinesis_clicks.cc).
  bool IsClickStream(std::string_view name) const {
    return options_.append_clicks && name == options_.click_stream;
  }
  // Puts records to the click stream itself: each must be a click event
  // and is stored as its event's record, keyed by user id. Fills, per
  // input without an error yet, its error or its result and kind.
  void PutToClickStream(std::string_view name, eventlog::Stream& stream,
                        std::span<const Outcome<RecordInput>> inputs,
                        std::span<std::optional<kinesis::KinesisError>> errors,
                        std::span<eventlog::PutResult> results,
                        std::span<std::optional<KinesisRecordKind>> kinds);
  // After records without an error were stored in their stream: appends
  // the click events their data holds to the click stream, durable before
  // it returns, and sets each record's kind. A record whose event could not
  // be appended gets an InternalFailure error.
  void AppendClicksOf(std::span<const Outcome<RecordInput>> inputs,
                      std::span<std::optional<kinesis::KinesisError>> errors,
                      std::span<std::optional<KinesisRecordKind>> kinds);
  // Stores records without an error in `stream` as they came (a record
  // whose shard is out of tokens, or that the store refuses, gets an error).
  void StoreRecords(std::string_view name, eventlog::Stream& stream,
                    std::span<const Outcome<RecordInput>> inputs,
                    std::span<std::optional<kinesis::KinesisError>> errors,
                    std::span<eventlog::PutResult> results);
  // Tells on_record about each record that has a kind.
  void ReportRecords(std::string_view name, std::span<const Outcome<RecordInput>> inputs,
                     std::span<const std::optional<kinesis::KinesisError>> errors,
                     std::span<const std::optional<KinesisRecordKind>> kinds) const;
  std::string ThrottledMessage(std::string_view name, std::uint32_t shard) const;

  // The stream named by StreamName (or StreamARN).
  Outcome<std::string> StreamNameOf(const Fields& request) const;
  Outcome<std::shared_ptr<eventlog::Stream>> OpenStream(std::string_view name);
  std::string StreamArn(std::string_view name) const;
  std::string StreamNotFound(std::string_view name) const;
  std::string ShardNotFound(std::string_view stream, std::string_view shard_id) const;
  // A store error as an AWS error about stream `name`.
  std::unexpected<kinesis::KinesisError> StoreError(const base::Error& error,
                                                    std::string_view name) const;

  // Parsers are reused between requests (a simdjson parser keeps its
  // buffers), one per concurrent request.
  struct ParserSlot {
    simdjson::dom::parser parser;
    std::string buffer;
  };
  std::unique_ptr<ParserSlot> AcquireParser();
  void ReleaseParser(std::unique_ptr<ParserSlot> parser);

  eventlog::StreamStore& store_;
  const base::Clock& clock_;
  const KinesisOptions options_;
  const kinesis::IteratorCodec iterators_;
  kinesis::ShardThrottle throttle_;
  std::mutex parsers_mu_;
  std::vector<std::unique_ptr<ParserSlot>> parsers_;
};

}  // namespace promorec::kinesis
