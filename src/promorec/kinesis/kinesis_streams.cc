// KinesisApi: stream and shard metadata operations (create, delete,
// describe, list, retention).
#include <algorithm>

#include "promorec/base/base64.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/kinesis/kinesis_internal.h"

namespace promorec::kinesis {

using kinesis::Fail;
using kinesis::InvalidArgument;
using kinesis::JsonOut;
using kinesis::ValidationError;

namespace {

constexpr std::int64_t kMaxListLimit = 10'000;
constexpr std::string_view kStreamsToken = "streams:";
constexpr std::string_view kShardsToken = "shards:";

// The value of an optional page size member: `fallback` when absent.
kinesis::Outcome<std::int64_t> PageSize(const kinesis::Fields& request, std::string_view member,
                                        std::int64_t fallback) {
  auto limit = request.OptInt(member);
  if (!limit) return std::unexpected(limit.error());
  if (!*limit) return fallback;
  if (auto ok = request.CheckRange(member, **limit, 1, kMaxListLimit); !ok) {
    return std::unexpected(ok.error());
  }
  return **limit;
}

// Index of the first shard after ExclusiveStartShardId (0 when absent).
kinesis::Outcome<std::size_t> FirstShardAfter(const kinesis::Fields& request) {
  auto start = request.OptString("ExclusiveStartShardId");
  if (!start) return std::unexpected(start.error());
  if (!*start) return std::size_t{0};
  const auto shard = kinesis::ParseShardId(**start);
  if (!shard) {
    return InvalidArgument("ExclusiveStartShardId " + kinesis::QuoteValue(**start) +
                           " is not a shard id of the form shardId-000000000000");
  }
  return std::size_t{*shard} + 1;
}

void WriteShard(const eventlog::ShardInfo& info, JsonOut* out) {
  const std::uint64_t first =
      info.first_sequence != 0 ? info.first_sequence : info.last_sequence + 1;
  out->BeginObject().Key("ShardId").String(kinesis::ShardIdName(info.shard));
  out->Key("HashKeyRange").BeginObject();
  out->Key("StartingHashKey").String(eventlog::HashKeyToDecimal(info.starting_hash_key));
  out->Key("EndingHashKey").String(eventlog::HashKeyToDecimal(info.ending_hash_key));
  out->EndObject();
  out->Key("SequenceNumberRange").BeginObject();
  out->Key("StartingSequenceNumber").String(kinesis::SequenceNumberText(first));
  out->EndObject().EndObject();
}

void WriteCommonMetadata(std::string_view mode, JsonOut* out) {
  out->Key("StreamStatus").String("ACTIVE");
  out->Key("StreamModeDetails").BeginObject().Key("StreamMode").String(mode).EndObject();
  out->Key("EncryptionType").String("NONE");
  out->Key("EnhancedMonitoring").BeginArray().BeginObject();
  out->Key("ShardLevelMetrics").BeginArray().EndArray().EndObject().EndArray();
}

std::int64_t RetentionHours(const eventlog::Stream& stream) {
  return stream.options().retention_us / eventlog::kHourMicros;
}

// A page token: base64 of a kind prefix and the position.
std::string MakeToken(std::string_view kind, std::string_view position) {
  return base::Base64Encode(std::string(kind) + std::string(position));
}

kinesis::Outcome<std::string> ReadToken(std::string_view kind, std::string_view token) {
  auto decoded = base::Base64Decode(token);
  if (!decoded || !decoded->starts_with(kind)) {
    return InvalidArgument("NextToken " + kinesis::QuoteValue(token) +
                           " was not issued by this operation");
  }
  return decoded->substr(kind.size());
}

}  // namespace

auto KinesisApi::Impl::CreateStream(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  auto count = request.OptInt("ShardCount");
  if (!count) return std::unexpected(count.error());
  auto mode_details = request.OptObject("StreamModeDetails");
  if (!mode_details) return std::unexpected(mode_details.error());
  bool on_demand = false;
  if (*mode_details) {
    const Fields details(**mode_details, "StreamModeDetails.");
    auto mode = details.String("StreamMode");
    if (!mode) return std::unexpected(mode.error());
    if (*mode != "PROVISIONED" && *mode != "ON_DEMAND") {
      return ValidationError(kinesis::ConstraintMessage(
          kinesis::QuoteValue(*mode), details.Name("StreamMode"),
          "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]"));
    }
    on_demand = *mode == "ON_DEMAND";
  }
  std::int64_t shards = options_.on_demand_shard_count;
  if (*count) {
    if (auto ok = request.CheckRange("ShardCount", **count, 1, 100'000); !ok) {
      return std::unexpected(ok.error());
    }
    shards = **count;
  } else if (!on_demand) {
    return ValidationError(
        kinesis::ConstraintMessage("null", "ShardCount", "Member must not be null"));
  }
  if (shards > std::int64_t{options_.max_shard_count}) {
    return Fail("LimitExceededException",
                "ShardCount " + std::to_string(shards) + " is above the limit of " +
                    std::to_string(options_.max_shard_count) + " shards per stream");
  }
  eventlog::StreamOptions stream_options = options_.stream_defaults;
  stream_options.shard_count = static_cast<std::uint32_t>(shards);
  auto created = store_.CreateStream(*name, stream_options);
  if (!created) return StoreError(created.error(), *name);
  throttle_.Forget(*name);
  return std::string();
}

auto KinesisApi::Impl::DeleteStream(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  if (auto enforce = request.OptBool("EnforceConsumerDeletion"); !enforce) {
    return std::unexpected(enforce.error());
  }
  if (auto deleted = store_.DeleteStream(*name); !deleted) {
    return StoreError(deleted.error(), *name);
  }
  throttle_.Forget(*name);
  return std::string();
}

auto KinesisApi::Impl::DescribeStream(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  auto limit = PageSize(request, "Limit", 100);
  if (!limit) return std::unexpected(limit.error());
  auto first = FirstShardAfter(request);
  if (!first) return std::unexpected(first.error());
  auto stream = OpenStream(*name);
  if (!stream) return std::unexpected(stream.error());
  auto shards = (*stream)->DescribeShards();
  if (!shards) return StoreError(shards.error(), *name);

  const std::size_t begin = std::min(*first, shards->size());
  const std::size_t end = std::min(shards->size(), begin + static_cast<std::size_t>(*limit));
  JsonOut out;
  out.BeginObject().Key("StreamDescription").BeginObject();
  out.Key("StreamName").String(*name).Key("StreamARN").String(StreamArn(*name));
  WriteCommonMetadata("PROVISIONED", &out);
  out.Key("Shards").BeginArray();
  for (std::size_t i = begin; i < end; ++i) WriteShard((*shards)[i], &out);
  out.EndArray();
  out.Key("HasMoreShards").Bool(end < shards->size());
  out.Key("RetentionPeriodHours").Int(RetentionHours(**stream));
  out.Key("StreamCreationTimestamp").EpochSeconds((*stream)->created_us());
  out.EndObject().EndObject();
  return out.Take();
}

auto KinesisApi::Impl::DescribeStreamSummary(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  auto stream = OpenStream(*name);
  if (!stream) return std::unexpected(stream.error());
  const eventlog::StreamOptions stream_options = (*stream)->options();
  JsonOut out;
  out.BeginObject().Key("StreamDescriptionSummary").BeginObject();
  out.Key("StreamName").String(*name).Key("StreamARN").String(StreamArn(*name));
  WriteCommonMetadata("PROVISIONED", &out);
  out.Key("RetentionPeriodHours").Int(stream_options.retention_us / eventlog::kHourMicros);
  out.Key("StreamCreationTimestamp").EpochSeconds((*stream)->created_us());
  out.Key("OpenShardCount").Int(stream_options.shard_count);
  out.Key("ConsumerCount").Int(0);
  out.EndObject().EndObject();
  return out.Take();
}

auto KinesisApi::Impl::ListStreams(const Fields& request) -> Outcome<std::string> {
  auto limit = PageSize(request, "Limit", 100);
  if (!limit) return std::unexpected(limit.error());
  auto start = request.OptString("ExclusiveStartStreamName");
  if (!start) return std::unexpected(start.error());
  auto token = request.OptString("NextToken");
  if (!token) return std::unexpected(token.error());
  std::string after = *start ? std::string(**start) : std::string();
  if (*token) {
    auto position = ReadToken(kStreamsToken, **token);
    if (!position) return std::unexpected(position.error());
    after = std::max(after, *position);
  }
  auto names = store_.ListStreams();
  if (!names) return StoreError(names.error(), "");
  std::sort(names->begin(), names->end());

  struct Listed {
    std::string name;
    std::int64_t created_us;
  };
  std::vector<Listed> page;
  bool more = false;
  for (const std::string& name : *names) {
    if (name <= after) continue;
    if (page.size() == static_cast<std::size_t>(*limit)) {
      more = true;
      break;
    }
    // A stream deleted since the listing is left out.
    auto stream = store_.OpenStream(name);
    if (stream) page.push_back({name, (*stream)->created_us()});
  }
  JsonOut out;
  out.BeginObject().Key("StreamNames").BeginArray();
  for (const Listed& listed : page) out.String(listed.name);
  out.EndArray().Key("HasMoreStreams").Bool(more);
  out.Key("StreamSummaries").BeginArray();
  for (const Listed& listed : page) {
    out.BeginObject().Key("StreamName").String(listed.name);
    out.Key("StreamARN").String(StreamArn(listed.name)).Key("StreamStatus").String("ACTIVE");
    out.Key("StreamModeDetails").BeginObject().Key("StreamMode").String("PROVISIONED").EndObject();
    out.Key("StreamCreationTimestamp").EpochSeconds(listed.created_us).EndObject();
  }
  out.EndArray();
  if (more && !page.empty())
    out.Key("NextToken").String(MakeToken(kStreamsToken, page.back().name));
  out.EndObject();
  return out.Take();
}

auto KinesisApi::Impl::ListShards(const Fields& request) -> Outcome<std::string> {
  auto token = request.OptString("NextToken");
  if (!token) return std::unexpected(token.error());
  auto limit = PageSize(request, "MaxResults", 1000);
  if (!limit) return std::unexpected(limit.error());
  if (auto filter = request.OptObject("ShardFilter"); !filter) {
    return std::unexpected(filter.error());
  }
  std::string name;
  std::size_t first = 0;
  if (*token) {
    auto has_name = request.OptString("StreamName");
    if (!has_name) return std::unexpected(has_name.error());
    if (*has_name) {
      return InvalidArgument("NextToken and StreamName cannot be provided together.");
    }
    auto position = ReadToken(kShardsToken, **token);
    if (!position) return std::unexpected(position.error());
    const std::size_t slash = position->rfind('/');
    const auto shard = kinesis::ParseShardId(slash == std::string::npos
                                                 ? std::string_view()
                                                 : std::string_view(*position).substr(slash + 1));
    if (!shard) return InvalidArgument("NextToken " + kinesis::QuoteValue(**token) + " is damaged");
    name = position->substr(0, slash);
    first = *shard;
  } else {
    auto stream_name = StreamNameOf(request);
    if (!stream_name) return std::unexpected(stream_name.error());
    name = std::move(*stream_name);
    auto after = FirstShardAfter(request);
    if (!after) return std::unexpected(after.error());
    first = *after;
  }
  auto stream = OpenStream(name);
  if (!stream) return std::unexpected(stream.error());
  auto shards = (*stream)->DescribeShards();
  if (!shards) return StoreError(shards.error(), name);

  const std::size_t begin = std::min(first, shards->size());
  const std::size_t end = std::min(shards->size(), begin + static_cast<std::size_t>(*limit));
  JsonOut out;
  out.BeginObject().Key("Shards").BeginArray();
  for (std::size_t i = begin; i < end; ++i) WriteShard((*shards)[i], &out);
  out.EndArray();
  if (end < shards->size()) {
    out.Key("NextToken")
        .String(MakeToken(kShardsToken,
                          name + "/" + kinesis::ShardIdName(static_cast<std::uint32_t>(end))));
  }
  out.EndObject();
  return out.Take();
}

auto KinesisApi::Impl::ChangeRetention(const Fields& request, bool increase)
    -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  auto hours = request.Int("RetentionPeriodHours");
  if (!hours) return std::unexpected(hours.error());
  constexpr std::int64_t kMinHours = eventlog::kMinRetentionMicros / eventlog::kHourMicros;
  constexpr std::int64_t kMaxHours = eventlog::kMaxRetentionMicros / eventlog::kHourMicros;
  const std::string requested = "Requested retention period (" + std::to_string(*hours) + " hours)";
  if (*hours < kMinHours) {
    return InvalidArgument("Minimum allowed retention period is " + std::to_string(kMinHours) +
                           " hours. " + requested + " is too short.");
  }
  if (*hours > kMaxHours) {
    return InvalidArgument("Maximum allowed retention period is " + std::to_string(kMaxHours) +
                           " hours. " + requested + " is too long.");
  }
  auto stream = OpenStream(*name);
  if (!stream) return std::unexpected(stream.error());
  const std::int64_t current = RetentionHours(**stream);
  if (increase && *hours < current) {
    return InvalidArgument(requested + " for stream " + *name +
                           " can not be shorter than existing retention period (" +
                           std::to_string(current) +
                           " hours). Use DecreaseStreamRetentionPeriod API.");
  }
  if (!increase && *hours > current) {
    return InvalidArgument(
        requested + " for stream " + *name + " can not be longer than existing retention period (" +
        std::to_string(current) + " hours). Use IncreaseStreamRetentionPeriod API.");
  }
  if (auto set = (*stream)->SetRetention(*hours * eventlog::kHourMicros); !set) {
    return StoreError(set.error(), *name);
  }
  return std::string();
}

}  // namespace promorec::kinesis
