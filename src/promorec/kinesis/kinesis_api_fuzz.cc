// libFuzzer target: arbitrary bytes as the body of every Kinesis operation,
// against a fresh in-memory store holding one two-shard stream with a few
// records. The first byte picks the operation; the rest is the body. Any
// reply is fine as long as it is well-formed: status 200, 400 or 500, and a
// failure always names an AWS error type.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/base/clock.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/kinesis/kinesis_api.h"

namespace {

constexpr std::string_view kOperations[] = {
    "CreateStream",
    "DeleteStream",
    "DescribeStream",
    "DescribeStreamSummary",
    "ListStreams",
    "ListShards",
    "PutRecord",
    "PutRecords",
    "GetShardIterator",
    "GetRecords",
    "IncreaseStreamRetentionPeriod",
    "DecreaseStreamRetentionPeriod",
};
constexpr std::size_t kOperationCount = sizeof kOperations / sizeof kOperations[0];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace promorec;
  if (size == 0) return 0;
  const std::string_view operation = kOperations[data[0] % kOperationCount];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto env = base::NewMemEnv();
  base::FakeClock clock(1'700'000'000'000'000);
  auto store = eventlog::LocalStreamStore::Open(*env, clock, "/streams");
  if (!store) std::abort();
  promorec::kinesis::KinesisOptions options;
  options.stream_defaults.durability = eventlog::Durability::kNone;
  options.iterator_key = "fuzz";
  options.shard_records_per_second = 100;
  promorec::kinesis::KinesisApi api(**store, clock, options);
  const std::string prefix(promorec::kinesis::kKinesisTargetPrefix);
  if (api.Handle(prefix + "CreateStream", R"({"StreamName":"clicks","ShardCount":2})").status !=
      200) {
    std::abort();
  }
  api.Handle(prefix + "PutRecords",
             R"({"StreamName":"clicks","Records":[{"PartitionKey":"a","Data":"eA=="},)"
             R"({"PartitionKey":"b","Data":"eQ=="}]})");

  const promorec::kinesis::KinesisReply reply = api.Handle(prefix + std::string(operation), body);
  if (reply.status != 200 && reply.status != 400 && reply.status != 500) std::abort();
  if (reply.status != 200 && reply.body.find("\"__type\":") == std::string::npos) std::abort();
  return 0;
}
