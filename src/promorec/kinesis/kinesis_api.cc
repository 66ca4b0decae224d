// KinesisApi: target dispatch, request parsing, error replies and the
// helpers every operation shares.
#include "promorec/kinesis/kinesis_api.h"

#include <exception>

#include "promorec/kinesis/kinesis_internal.h"

namespace promorec::kinesis {

using kinesis::Fail;
using kinesis::JsonOut;
using kinesis::KinesisError;
using kinesis::ValidationError;

namespace {

constexpr std::string_view kSupported =
    "CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary, ListStreams, ListShards, "
    "IncreaseStreamRetentionPeriod, DecreaseStreamRetentionPeriod, PutRecord, PutRecords, "
    "GetShardIterator, GetRecords";

KinesisReply ErrorReply(const KinesisError& error) {
  JsonOut out;
  out.BeginObject().Key("__type").String(error.type).Key("message").String(error.message);
  out.EndObject();
  return KinesisReply{error.status, out.Take()};
}

bool IsBlank(std::string_view text) {
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

std::string JsonErrorMessage(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return "Request body is not valid UTF-8";
    case simdjson::DEPTH_ERROR:
      return "Request body nests arrays or objects too deeply";
    case simdjson::CAPACITY:
      return "Request body is too large";
    default:
      return "Request body is not valid JSON";
  }
}

}  // namespace

KinesisApi::KinesisApi(eventlog::StreamStore& store, const base::Clock& clock,
                       KinesisOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}

KinesisApi::~KinesisApi() = default;

KinesisReply KinesisApi::Handle(std::string_view target, std::string_view body) const {
  try {
    return impl_->Handle(target, body);
  } catch (const std::exception& e) {
    return ErrorReply(
        KinesisError{"InternalFailure", std::string("Internal failure: ") + e.what(), 500});
  } catch (...) {
    return ErrorReply(KinesisError{"InternalFailure", "Internal failure", 500});
  }
}

KinesisApi::Impl::Impl(eventlog::StreamStore& store, const base::Clock& clock,
                       KinesisOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      iterators_(options_.iterator_key),
      throttle_(clock, options_.shard_records_per_second) {}

std::unique_ptr<KinesisApi::Impl::ParserSlot> KinesisApi::Impl::AcquireParser() {
  {
    std::lock_guard lock(parsers_mu_);
    if (!parsers_.empty()) {
      auto parser = std::move(parsers_.back());
      parsers_.pop_back();
      return parser;
    }
  }
  return std::make_unique<ParserSlot>();
}

void KinesisApi::Impl::ReleaseParser(std::unique_ptr<ParserSlot> parser) {
  // A few idle parsers cover the usual concurrency; more are dropped, and so
  // is a buffer grown by an unusually large body.
  constexpr std::size_t kMaxIdle = 16;
  constexpr std::size_t kMaxKeptBuffer = 1 << 20;
  if (parser->buffer.capacity() > kMaxKeptBuffer) return;
  std::lock_guard lock(parsers_mu_);
  if (parsers_.size() < kMaxIdle) parsers_.push_back(std::move(parser));
}

KinesisReply KinesisApi::Impl::Handle(std::string_view target, std::string_view body) {
  using Operation = Outcome<std::string> (Impl::*)(const Fields&);
  struct Entry {
    std::string_view name;
    Operation operation;
  };
  static constexpr Entry kOperations[] = {
      {"CreateStream", &Impl::CreateStream},
      {"DeleteStream", &Impl::DeleteStream},
      {"DescribeStream", &Impl::DescribeStream},
      {"DescribeStreamSummary", &Impl::DescribeStreamSummary},
      {"ListStreams", &Impl::ListStreams},
      {"ListShards", &Impl::ListShards},
      {"PutRecord", &Impl::PutRecord},
      {"PutRecords", &Impl::PutRecords},
      {"GetShardIterator", &Impl::GetShardIterator},
      {"GetRecords", &Impl::GetRecords},
  };
  std::string_view name;
  if (target.starts_with(kKinesisTargetPrefix)) name = target.substr(kKinesisTargetPrefix.size());
  Operation operation = nullptr;
  bool retention = false;
  bool increase = false;
  for (const Entry& entry : kOperations) {
    if (entry.name == name) operation = entry.operation;
  }
  if (name == "IncreaseStreamRetentionPeriod" || name == "DecreaseStreamRetentionPeriod") {
    retention = true;
    increase = name.front() == 'I';
  }
  if (operation == nullptr && !retention) {
    return ErrorReply(KinesisError{"UnknownOperationException",
                                   "Operation '" + std::string(target) +
                                       "' is not supported; the target must be Kinesis_20131202. "
                                       "followed by one of " +
                                       std::string(kSupported)});
  }

  // An empty body counts as {}, for clients that send none to operations
  // without required members.
  if (IsBlank(body)) body = "{}";
  std::unique_ptr<ParserSlot> parser = AcquireParser();
  // The parser reads past the end of its input: copy into a padded buffer.
  std::string& padded = parser->buffer;
  padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(body);
  simdjson::dom::element root;
  Outcome<std::string> result;
  if (const auto error = parser->parser.parse(padded.data(), body.size(), false).get(root);
      error != simdjson::SUCCESS) {
    result = ValidationError(JsonErrorMessage(error));
  } else if (simdjson::dom::object object; root.get_object().get(object) != simdjson::SUCCESS) {
    result = ValidationError("Request body must be a JSON object");
  } else {
    const Fields fields(object, "");
    result = retention ? ChangeRetention(fields, increase) : (this->*operation)(fields);
  }
  ReleaseParser(std::move(parser));
  if (!result) return ErrorReply(result.error());
  return KinesisReply{200, std::move(*result)};
}

std::string KinesisApi::Impl::StreamArn(std::string_view name) const {
  return "arn:aws:kinesis:" + options_.region + ":" + options_.account_id + ":stream/" +
         std::string(name);
}

std::string KinesisApi::Impl::StreamNotFound(std::string_view name) const {
  return "Stream " + std::string(name) + " under account " + options_.account_id + " not found.";
}

std::string KinesisApi::Impl::ShardNotFound(std::string_view stream,
                                            std::string_view shard_id) const {
  return "Shard " + std::string(shard_id) + " in stream " + std::string(stream) +
         " under account " + options_.account_id + " does not exist";
}

std::unexpected<KinesisError> KinesisApi::Impl::StoreError(const base::Error& error,
                                                           std::string_view name) const {
  switch (error.code()) {
    case base::Code::kNotFound:
      return kinesis::ResourceNotFound(StreamNotFound(name));
    case base::Code::kAlreadyExists:
      return Fail("ResourceInUseException", "Stream " + std::string(name) + " under account " +
                                                options_.account_id + " already exists.");
    case base::Code::kInvalidArgument:
      return kinesis::InvalidArgument(error.message());
    default:
      return kinesis::InternalFailure("Internal service failure: " + error.ToString());
  }
}

auto KinesisApi::Impl::StreamNameOf(const Fields& request) const -> Outcome<std::string> {
  auto name = request.OptString("StreamName");
  if (!name) return std::unexpected(name.error());
  auto arn = request.OptString("StreamARN");
  if (!arn) return std::unexpected(arn.error());
  std::string_view stream;
  if (*arn) {
    constexpr std::string_view kMarker = ":stream/";
    const std::size_t at = (*arn)->find(kMarker);
    if (!(*arn)->starts_with("arn:") || at == std::string_view::npos) {
      return ValidationError(
          kinesis::ConstraintMessage(kinesis::QuoteValue(**arn), request.Name("StreamARN"),
                                     "Member must satisfy regular expression pattern: "
                                     "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+"));
    }
    stream = (*arn)->substr(at + kMarker.size());
    if (*name && **name != stream) {
      return kinesis::InvalidArgument("StreamName '" + std::string(**name) + "' and StreamARN '" +
                                      std::string(**arn) + "' name different streams");
    }
  } else if (*name) {
    stream = **name;
  } else {
    return ValidationError(
        kinesis::ConstraintMessage("null", request.Name("StreamName"), "Member must not be null"));
  }
  if (auto ok = request.CheckLength("StreamName", stream, 128); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto valid = eventlog::ValidateStreamName(stream); !valid) {
    if (stream.front() == '.') return kinesis::InvalidArgument("Stream " + valid.error().message());
    return ValidationError(kinesis::ConstraintMessage(
        kinesis::QuoteValue(stream), request.Name("StreamName"),
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
  }
  return std::string(stream);
}

auto KinesisApi::Impl::OpenStream(std::string_view name)
    -> Outcome<std::shared_ptr<eventlog::Stream>> {
  auto stream = store_.OpenStream(name);
  if (!stream) return StoreError(stream.error(), name);
  return *stream;
}

}  // namespace promorec::kinesis
