// Internal to the Kinesis API: AWS's error values, typed access to the
// members of a JSON request object (with AWS-style validation messages),
// a small JSON writer for replies, and the textual forms of shard ids,
// sequence numbers and timestamps.
// Thread-safety: pure functions and value types; a JsonOut is used by one
// thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace promorec::kinesis {

// One AWS error: its __type, its message and the HTTP status (400 for
// everything the caller did wrong, 500 for InternalFailure).
struct KinesisError {
  std::string type;
  std::string message;
  int status = 400;
};

template <typename T>
using Outcome = std::expected<T, KinesisError>;

std::unexpected<KinesisError> Fail(std::string_view type, std::string message);
std::unexpected<KinesisError> ValidationError(std::string message);
std::unexpected<KinesisError> InvalidArgument(std::string message);
std::unexpected<KinesisError> ResourceNotFound(std::string message);
std::unexpected<KinesisError> InternalFailure(std::string message);

// The members of one JSON object of a request. `path` prefixes member names
// in messages ("Records.3." gives 'Records.3.PartitionKey'). A member that
// is null counts as absent, as AWS SDKs treat it.
class Fields {
 public:
  Fields(simdjson::dom::object object, std::string path)
      : object_(object), path_(std::move(path)) {}

  std::string Name(std::string_view member) const { return path_ + std::string(member); }

  Outcome<std::optional<std::string_view>> OptString(std::string_view member) const;
  Outcome<std::string_view> String(std::string_view member) const;
  // Whole numbers only (2.0 is a wrong type, as for AWS's integer members).
  Outcome<std::optional<std::int64_t>> OptInt(std::string_view member) const;
  Outcome<std::int64_t> Int(std::string_view member) const;
  Outcome<std::optional<double>> OptNumber(std::string_view member) const;
  Outcome<std::optional<bool>> OptBool(std::string_view member) const;
  Outcome<std::optional<simdjson::dom::array>> OptArray(std::string_view member) const;
  Outcome<std::optional<simdjson::dom::object>> OptObject(std::string_view member) const;

  // ValidationException unless 1 <= value.size() <= max (in bytes).
  Outcome<void> CheckLength(std::string_view member, std::string_view value, std::size_t max) const;
  // ValidationException unless lo <= value <= hi.
  Outcome<void> CheckRange(std::string_view member, std::int64_t value, std::int64_t lo,
                           std::int64_t hi) const;

 private:
  Outcome<std::optional<simdjson::dom::element>> Find(std::string_view member) const;
  std::unexpected<KinesisError> WrongType(std::string_view member, std::string_view expected,
                                          simdjson::dom::element value) const;

  simdjson::dom::object object_;
  std::string path_;
};

// "1 validation error detected: Value <value> at '<member>' failed to satisfy
// constraint: <constraint>", AWS's wording for a constraint violation.
std::string ConstraintMessage(std::string_view value, std::string_view member,
                              std::string_view constraint);
// A value quoted for a message, cut to 64 bytes.
std::string QuoteValue(std::string_view value);

// A JSON text built front to back; commas are placed automatically.
class JsonOut {
 public:
  JsonOut& BeginObject();
  JsonOut& EndObject();
  JsonOut& BeginArray();
  JsonOut& EndArray();
  JsonOut& Key(std::string_view key);
  JsonOut& String(std::string_view value);
  JsonOut& Int(std::int64_t value);
  JsonOut& Bool(bool value);
  // Epoch seconds with millisecond precision, as a JSON number.
  JsonOut& EpochSeconds(std::int64_t micros);
  // A JSON string holding the base64 of `data`.
  JsonOut& Base64(std::string_view data);

  std::string Take() { return std::move(text_); }

 private:
  void Separate();

  std::string text_;
  std::vector<bool> has_member_;
  bool after_key_ = false;
};

// "shardId-000000000003".
std::string ShardIdName(std::uint32_t shard);
// The shard number of "shardId-<1..12 digits>"; nullopt for anything else.
std::optional<std::uint32_t> ParseShardId(std::string_view shard_id);

// Decimal sequence number; AWS's pattern is 0|([1-9]\d{0,128}).
std::string SequenceNumberText(std::uint64_t sequence);
// ValidationException for text outside the pattern, InvalidArgumentException
// for a number above what a promorec shard can hold.
Outcome<std::uint64_t> ParseSequenceNumber(std::string_view member, std::string_view text);

}  // namespace promorec::kinesis
