// Internal to the Kinesis API: the implementation behind KinesisApi, one
// member function per operation, split over kinesis_api.cc (dispatch and
// shared helpers), kinesis_streams.cc (stream and shard metadata) and
// kinesis_records.cc (putting and getting records).
// Thread-safety: as KinesisApi; every member is const or guarded.
#pragma once

#include <simdjson.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/eventlog/stream.h"
#include "promorec/http/kinesis_api.h"
#include "promorec/http/kinesis_iterator.h"
#include "promorec/http/kinesis_json.h"
#include "promorec/http/kinesis_throttle.h"

namespace promorec::http {

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

}  // namespace promorec::http
