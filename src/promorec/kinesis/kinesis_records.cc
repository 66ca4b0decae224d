// KinesisApi: writing records (PutRecord, PutRecords) and reading them
// (GetShardIterator, GetRecords).
#include <cmath>

#include "promorec/base/base64.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/kinesis/kinesis_internal.h"

namespace promorec::kinesis {

using kinesis::Fail;
using kinesis::InvalidArgument;
using kinesis::JsonOut;
using kinesis::KinesisError;
using kinesis::ValidationError;

namespace {

constexpr std::size_t kMaxDataBytes = 1 << 20;
constexpr std::size_t kMaxPartitionKeyBytes = 256;
constexpr std::size_t kMaxPutRecords = 500;
constexpr std::size_t kMaxPutRecordsBytes = 5 << 20;
constexpr std::int64_t kMaxGetRecords = 10'000;
constexpr std::size_t kMaxGetRecordsBytes = 10 << 20;
constexpr std::size_t kMaxIteratorChars = 512;
// AT_TIMESTAMP positions later than this (year 33658) are treated as it.
constexpr double kMaxTimestampSeconds = 1e12;

using kinesis::RecordInput;

kinesis::Outcome<RecordInput> ParseRecord(const kinesis::Fields& fields) {
  RecordInput record;
  auto data = fields.String("Data");
  if (!data) return std::unexpected(data.error());
  if (const std::size_t size = base::Base64DecodedSize(*data); size > kMaxDataBytes) {
    return ValidationError(kinesis::ConstraintMessage(
        "of " + std::to_string(size) + " bytes", fields.Name("Data"),
        "Member must have length less than or equal to " + std::to_string(kMaxDataBytes)));
  }
  if (auto decoded = base::Base64Decode(*data, &record.data); !decoded) {
    return ValidationError("Member '" + fields.Name("Data") +
                           "' is not valid base64: " + decoded.error().message());
  }
  auto key = fields.String("PartitionKey");
  if (!key) return std::unexpected(key.error());
  if (auto ok = fields.CheckLength("PartitionKey", *key, kMaxPartitionKeyBytes); !ok) {
    return std::unexpected(ok.error());
  }
  record.partition_key = *key;
  auto hash_key = fields.OptString("ExplicitHashKey");
  if (!hash_key) return std::unexpected(hash_key.error());
  if (*hash_key) {
    const std::string_view text = **hash_key;
    bool pattern = !text.empty() && text.size() <= 39 && !(text.size() > 1 && text[0] == '0');
    for (const char c : text) pattern = pattern && c >= '0' && c <= '9';
    if (!pattern) {
      return ValidationError(kinesis::ConstraintMessage(
          kinesis::QuoteValue(text), fields.Name("ExplicitHashKey"),
          "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"));
    }
    auto parsed = eventlog::ParseHashKey(text);
    if (!parsed) {
      return InvalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, " +
                             eventlog::HashKeyToDecimal(~eventlog::HashKey{0}) +
                             "]. Specified value was " + std::string(text));
    }
    record.explicit_hash_key = *parsed;
  }
  return record;
}

std::uint32_t ShardOf(const RecordInput& record, std::uint32_t shard_count) {
  const eventlog::HashKey key = record.explicit_hash_key
                                    ? *record.explicit_hash_key
                                    : eventlog::PartitionKeyHash(record.partition_key);
  return eventlog::ShardForHashKey(key, shard_count);
}

kinesis::Outcome<eventlog::IteratorSpec> ParseIteratorSpec(const kinesis::Fields& request) {
  auto type = request.String("ShardIteratorType");
  if (!type) return std::unexpected(type.error());
  auto sequence = request.OptString("StartingSequenceNumber");
  if (!sequence) return std::unexpected(sequence.error());
  auto timestamp = request.OptNumber("Timestamp");
  if (!timestamp) return std::unexpected(timestamp.error());
  eventlog::IteratorSpec spec;
  if (*type == "TRIM_HORIZON") {
    spec.type = eventlog::IteratorType::kTrimHorizon;
  } else if (*type == "LATEST") {
    spec.type = eventlog::IteratorType::kLatest;
  } else if (*type == "AT_SEQUENCE_NUMBER" || *type == "AFTER_SEQUENCE_NUMBER") {
    spec.type = *type == "AT_SEQUENCE_NUMBER" ? eventlog::IteratorType::kAtSequence
                                              : eventlog::IteratorType::kAfterSequence;
    if (!*sequence) {
      return InvalidArgument("ShardIteratorType " + std::string(*type) +
                             " needs a StartingSequenceNumber");
    }
    auto parsed = kinesis::ParseSequenceNumber("StartingSequenceNumber", **sequence);
    if (!parsed) return std::unexpected(parsed.error());
    spec.sequence = *parsed;
  } else if (*type == "AT_TIMESTAMP") {
    spec.type = eventlog::IteratorType::kAtTimestamp;
    if (!*timestamp) return InvalidArgument("ShardIteratorType AT_TIMESTAMP needs a Timestamp");
    const double seconds = **timestamp;
    if (!std::isfinite(seconds) || seconds < 0) {
      return InvalidArgument("Timestamp must be a time at or after 1970-01-01, in epoch seconds");
    }
    spec.timestamp_us =
        static_cast<std::int64_t>(std::llround(std::min(seconds, kMaxTimestampSeconds) * 1e6));
  } else {
    return ValidationError(kinesis::ConstraintMessage(
        kinesis::QuoteValue(*type), "ShardIteratorType",
        "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, "
        "TRIM_HORIZON, LATEST, AT_TIMESTAMP]"));
  }
  return spec;
}

// {"FailedRecordCount", "Records": [...]} with each record's result or error.
std::string PutRecordsReply(const std::vector<std::optional<KinesisError>>& errors,
                            const std::vector<eventlog::PutResult>& results) {
  std::int64_t failed = 0;
  for (const auto& error : errors) failed += error ? 1 : 0;
  JsonOut out;
  out.BeginObject().Key("FailedRecordCount").Int(failed).Key("Records").BeginArray();
  for (std::size_t i = 0; i < errors.size(); ++i) {
    out.BeginObject();
    if (errors[i]) {
      out.Key("ErrorCode").String(errors[i]->type).Key("ErrorMessage").String(errors[i]->message);
    } else {
      out.Key("SequenceNumber").String(kinesis::SequenceNumberText(results[i].sequence));
      out.Key("ShardId").String(kinesis::ShardIdName(results[i].shard));
    }
    out.EndObject();
  }
  out.EndArray().Key("EncryptionType").String("NONE").EndObject();
  return out.Take();
}

}  // namespace

auto KinesisApi::Impl::PutRecord(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  const Outcome<RecordInput> record = ParseRecord(request);
  if (!record) return std::unexpected(record.error());
  auto ordering = request.OptString("SequenceNumberForOrdering");
  if (!ordering) return std::unexpected(ordering.error());
  if (*ordering) {
    // Accepted for compatibility; records of a shard are in order anyway.
    if (auto ok = kinesis::ParseSequenceNumber("SequenceNumberForOrdering", **ordering); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto stream = OpenStream(*name);
  if (!stream) return std::unexpected(stream.error());
  const auto input = std::span(&record, 1);
  std::optional<KinesisError> error;
  eventlog::PutResult result;
  std::optional<KinesisRecordKind> kind;
  if (IsClickStream(*name)) {
    PutToClickStream(*name, **stream, input, std::span(&error, 1), std::span(&result, 1),
                     std::span(&kind, 1));
  } else {
    const std::uint32_t shard = ShardOf(*record, (*stream)->options().shard_count);
    if (!throttle_.TryAcquire(*name, shard)) {
      return Fail("ProvisionedThroughputExceededException", ThrottledMessage(*name, shard));
    }
    const eventlog::PutRecord put{record->partition_key, record->data, record->explicit_hash_key};
    if (auto stored = (*stream)->AppendInto(std::span(&put, 1), std::span(&result, 1)); !stored) {
      return StoreError(stored.error(), *name);
    }
    AppendClicksOf(input, std::span(&error, 1), std::span(&kind, 1));
  }
  ReportRecords(*name, input, std::span(&error, 1), std::span(&kind, 1));
  if (error) return std::unexpected(std::move(*error));
  JsonOut out;
  out.BeginObject().Key("ShardId").String(kinesis::ShardIdName(result.shard));
  out.Key("SequenceNumber").String(kinesis::SequenceNumberText(result.sequence));
  out.Key("EncryptionType").String("NONE").EndObject();
  return out.Take();
}

auto KinesisApi::Impl::PutRecords(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  auto array = request.OptArray("Records");
  if (!array) return std::unexpected(array.error());
  if (!*array) {
    return ValidationError(
        kinesis::ConstraintMessage("null", "Records", "Member must not be null"));
  }
  const std::size_t count = (*array)->size();
  if (count == 0 || count > kMaxPutRecords) {
    return ValidationError(kinesis::ConstraintMessage(
        "of " + std::to_string(count) + " records", "Records",
        count == 0 ? "Member must have length greater than or equal to 1"
                   : "Member must have length less than or equal to 500"));
  }
  // Each record is checked on its own: a bad one fails alone.
  std::vector<Outcome<RecordInput>> inputs;
  inputs.reserve(count);
  std::size_t total_bytes = 0;
  std::size_t index = 0;
  for (const simdjson::dom::element entry : **array) {
    const std::string path = "Records." + std::to_string(index++);
    simdjson::dom::object object;
    if (entry.get_object().get(object) != simdjson::SUCCESS) {
      inputs.push_back(ValidationError("Member '" + path + "' must be an object"));
      continue;
    }
    inputs.push_back(ParseRecord(Fields(object, path + ".")));
    if (inputs.back())
      total_bytes += inputs.back()->data.size() + inputs.back()->partition_key.size();
  }
  if (total_bytes > kMaxPutRecordsBytes) {
    return ValidationError("Records hold " + std::to_string(total_bytes) +
                           " bytes of data and partition keys, above the limit of " +
                           std::to_string(kMaxPutRecordsBytes) + " bytes per request");
  }
  auto stream = OpenStream(*name);
  if (!stream) return std::unexpected(stream.error());

  std::vector<std::optional<KinesisError>> errors(count);
  std::vector<eventlog::PutResult> results(count);
  std::vector<std::optional<KinesisRecordKind>> kinds(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (!inputs[i]) errors[i] = inputs[i].error();
  }
  if (IsClickStream(*name)) {
    PutToClickStream(*name, **stream, inputs, errors, results, kinds);
  } else {
    StoreRecords(*name, **stream, inputs, errors, results);
    AppendClicksOf(inputs, errors, kinds);
  }
  ReportRecords(*name, inputs, errors, kinds);
  return PutRecordsReply(errors, results);
}

void KinesisApi::Impl::StoreRecords(std::string_view name, eventlog::Stream& stream,
                                    std::span<const Outcome<RecordInput>> inputs,
                                    std::span<std::optional<KinesisError>> errors,
                                    std::span<eventlog::PutResult> results) {
  const std::uint32_t shard_count = stream.options().shard_count;
  std::vector<eventlog::PutRecord> puts;
  std::vector<std::size_t> put_index;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (errors[i]) continue;
    const std::uint32_t shard = ShardOf(*inputs[i], shard_count);
    if (!throttle_.TryAcquire(name, shard)) {
      errors[i] =
          KinesisError{"ProvisionedThroughputExceededException", ThrottledMessage(name, shard)};
      continue;
    }
    puts.push_back({inputs[i]->partition_key, inputs[i]->data, inputs[i]->explicit_hash_key});
    put_index.push_back(i);
  }
  if (puts.empty()) return;
  std::vector<eventlog::PutResult> appended(puts.size());
  const base::Status stored = stream.AppendInto(puts, appended);
  for (std::size_t j = 0; j < puts.size(); ++j) {
    if (stored) {
      results[put_index[j]] = appended[j];
    } else {
      errors[put_index[j]] = KinesisError{"InternalFailure", "Internal service failure."};
    }
  }
}

void KinesisApi::Impl::ReportRecords(
    std::string_view name, std::span<const Outcome<RecordInput>> inputs,
    std::span<const std::optional<KinesisError>> errors,
    std::span<const std::optional<KinesisRecordKind>> kinds) const {
  if (!options_.on_record) return;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    // A record with an error is reported only when refused as no click.
    if (kinds[i] && (!errors[i] || *kinds[i] == KinesisRecordKind::kRejected)) {
      options_.on_record(name, inputs[i]->data, *kinds[i]);
    }
  }
}

std::string KinesisApi::Impl::ThrottledMessage(std::string_view name, std::uint32_t shard) const {
  return "Rate exceeded for shard " + kinesis::ShardIdName(shard) + " in stream " +
         std::string(name) + " under account " + options_.account_id + ".";
}

auto KinesisApi::Impl::GetShardIterator(const Fields& request) -> Outcome<std::string> {
  auto name = StreamNameOf(request);
  if (!name) return std::unexpected(name.error());
  auto shard_id = request.String("ShardId");
  if (!shard_id) return std::unexpected(shard_id.error());
  if (auto ok = request.CheckLength("ShardId", *shard_id, 128); !ok) {
    return std::unexpected(ok.error());
  }
  auto spec = ParseIteratorSpec(request);
  if (!spec) return std::unexpected(spec.error());
  auto stream = OpenStream(*name);
  if (!stream) return std::unexpected(stream.error());
  const auto shard = kinesis::ParseShardId(*shard_id);
  if (!shard || *shard >= (*stream)->options().shard_count) {
    return kinesis::ResourceNotFound(ShardNotFound(*name, *shard_id));
  }
  auto sequence = (*stream)->Resolve(*shard, *spec);
  if (!sequence && sequence.error().code() == base::Code::kInvalidArgument) {
    return InvalidArgument("StartingSequenceNumber " + std::to_string(spec->sequence) +
                           " is not in shard " + std::string(*shard_id) + " of stream " + *name);
  }
  if (!sequence) return StoreError(sequence.error(), *name);
  const kinesis::ShardPosition position{*name, (*stream)->created_us(), *shard, *sequence,
                                        clock_.NowMicros()};
  JsonOut out;
  out.BeginObject().Key("ShardIterator").String(iterators_.Encode(position)).EndObject();
  return out.Take();
}

auto KinesisApi::Impl::GetRecords(const Fields& request) -> Outcome<std::string> {
  auto text = request.String("ShardIterator");
  if (!text) return std::unexpected(text.error());
  if (auto ok = request.CheckLength("ShardIterator", *text, kMaxIteratorChars); !ok) {
    return std::unexpected(ok.error());
  }
  auto limit = request.OptInt("Limit");
  if (!limit) return std::unexpected(limit.error());
  if (*limit) {
    if (auto ok = request.CheckRange("Limit", **limit, 1, kMaxGetRecords); !ok) {
      return std::unexpected(ok.error());
    }
  }
  const auto position = iterators_.Decode(*text);
  if (!position) return InvalidArgument("Invalid ShardIterator.");
  const std::int64_t now = clock_.NowMicros();
  if (now - position->issued_us > kinesis::kIteratorLifetimeMicros) {
    return Fail("ExpiredIteratorException",
                "Iterator expired. It was issued " +
                    std::to_string((now - position->issued_us) / 1000) +
                    " ms ago; iterators are valid for " +
                    std::to_string(kinesis::kIteratorLifetimeMicros / 1000) + " ms.");
  }
  auto stream = OpenStream(position->stream);
  if (!stream) return std::unexpected(stream.error());
  if ((*stream)->created_us() != position->stream_created_us) {
    return kinesis::ResourceNotFound("The shard iterator belongs to an earlier stream named " +
                                     position->stream + ", since deleted.");
  }
  const eventlog::ReadLimits limits{static_cast<std::size_t>(limit->value_or(kMaxGetRecords)),
                                    kMaxGetRecordsBytes};
  auto batch = (*stream)->Read(position->shard, position->sequence, limits);
  if (!batch) return StoreError(batch.error(), position->stream);

  JsonOut out;
  out.BeginObject().Key("Records").BeginArray();
  for (const eventlog::RecordView& record : batch->records) {
    out.BeginObject();
    out.Key("SequenceNumber").String(kinesis::SequenceNumberText(record.sequence));
    out.Key("ApproximateArrivalTimestamp").EpochSeconds(record.arrival_us);
    out.Key("Data").Base64(record.data);
    out.Key("PartitionKey").String(record.partition_key);
    out.EndObject();
  }
  out.EndArray();
  kinesis::ShardPosition next = *position;
  next.sequence = batch->next_sequence;
  next.issued_us = now;
  out.Key("NextShardIterator").String(iterators_.Encode(next));
  out.Key("MillisBehindLatest").Int(batch->behind_us / 1000);
  out.EndObject();
  return out.Take();
}

}  // namespace promorec::kinesis
