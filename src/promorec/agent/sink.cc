#include "promorec/agent/sink.h"

#include <simdjson.h>

#include <ctime>

#include "promorec/base/base64.h"
#include "promorec/base/hash.h"
#include "promorec/base/json_string.h"
#include "promorec/base/logging.h"
#include "promorec/event/delimited.h"

namespace promorec::agent {
namespace {

constexpr std::size_t kMaxPartitionKeyBytes = 256;

std::unexpected<base::Error> Unavailable(std::string message) {
  return base::MakeError(base::Code::kUnavailable, std::move(message));
}

// The string member `key` of `e`, or "".
template <typename JsonValue>
std::string_view StringMember(JsonValue e, const char* key) {
  std::string_view text;
  if (e[key].get_string().get(text) != simdjson::SUCCESS) return {};
  return text;
}

bool Retriable(int status) { return status >= 500 || status == 408 || status == 429; }

std::string Excerpt(std::string_view body) {
  std::string out(body.substr(0, 300));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string LineHash(std::string_view line) {
  base::Hasher128 hasher;
  hasher.Add(line);
  return hasher.HexDigest();
}

// "user_id" or "userid" of a JSON event, as text; "" when absent.
std::string JsonUserId(std::string_view line) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(line.data(), line.size()).get_object().get(object) != simdjson::SUCCESS) {
    return {};
  }
  for (const char* name : {"user_id", "userid"}) {
    simdjson::dom::element value;
    if (object.at_key(name).get(value) != simdjson::SUCCESS) continue;
    std::string_view text;
    if (value.get_string().get(text) == simdjson::SUCCESS) return std::string(text);
    if (value.is_int64() || value.is_uint64()) return simdjson::to_string(value);
  }
  return {};
}

class EventsSink final : public Sink {
 public:
  EventsSink(HttpClient& client, LineFormat format)
      : client_(client),
        headers_{
            {"Content-Type", format == LineFormat::kJson ? "application/x-ndjson" : "text/csv"}} {}

  base::Result<SendResult> Send(std::span<const std::string_view> lines) override {
    body_.clear();
    for (const std::string_view line : lines) {
      body_.append(line);
      body_.push_back('\n');
    }
    PROMOREC_ASSIGN_OR_RETURN(const HttpResponse response,
                              client_.Post("/v1/events", headers_, body_));
    if (response.status != 200) {
      std::string message = Describe() + " answered " + std::to_string(response.status) + ": " +
                            Excerpt(response.body);
      if (Retriable(response.status)) return Unavailable(std::move(message));
      return base::FailedPrecondition(std::move(message));
    }
    SendResult result;
    simdjson::dom::object answer;
    simdjson::dom::array rejected;
    if (parser_.parse(response.body).get_object().get(answer) == simdjson::SUCCESS &&
        answer["rejected"].get_array().get(rejected) == simdjson::SUCCESS) {
      result.rejected = rejected.size();
      if (result.rejected > 0) {
        simdjson::dom::element first;
        if (rejected.at(0).get(first) != simdjson::SUCCESS) first = {};
        spdlog::warn("agent: the server rejected {} of {} lines as invalid (first: {})",
                     result.rejected, lines.size(), StringMember(first, "message"));
      }
    }
    return result;
  }

  std::string Describe() const override {
    return "http://" + client_.url().HostHeader() + client_.url().path_prefix + "/v1/events";
  }

 private:
  HttpClient& client_;
  std::vector<HttpHeader> headers_;
  std::string body_;
  simdjson::dom::parser parser_;
};

class KinesisSink final : public Sink {
 public:
  KinesisSink(HttpClient& client, std::string stream, LineFormat format, base::Clock& clock)
      : client_(client), stream_(std::move(stream)), format_(format), clock_(clock) {}

  base::Result<SendResult> Send(std::span<const std::string_view> lines) override {
    body_ = "{\"StreamName\":";
    base::AppendJsonString(stream_, &body_);
    body_ += ",\"Records\":[";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) body_ += ',';
      body_ += "{\"Data\":\"";
      base::AppendBase64(lines[i], &body_);
      body_ += "\",\"PartitionKey\":";
      base::AppendJsonString(PartitionKey(format_, lines[i]), &body_);
      body_ += '}';
    }
    body_ += "]}";
    PROMOREC_ASSIGN_OR_RETURN(const HttpResponse response, client_.Post("/", Headers(), body_));
    simdjson::dom::object answer;
    const bool json = parser_.parse(response.body).get_object().get(answer) == simdjson::SUCCESS;
    if (response.status != 200) {
      const std::string_view type = json ? StringMember(answer, "__type") : std::string_view();
      std::string message = Describe() + " answered " + std::to_string(response.status) + ": " +
                            Excerpt(response.body);
      if (Retriable(response.status) || type == "ProvisionedThroughputExceededException" ||
          type == "LimitExceededException" || type == "ResourceNotFoundException" ||
          type == "InternalFailure") {
        return Unavailable(std::move(message));
      }
      return base::FailedPrecondition(std::move(message));
    }
    simdjson::dom::array records;
    if (!json || answer["Records"].get_array().get(records) != simdjson::SUCCESS ||
        records.size() != lines.size()) {
      return base::Corruption(Describe() + ": PutRecords answer without one entry per record");
    }
    SendResult result;
    std::size_t i = 0;
    for (simdjson::dom::element entry : records) {
      const std::string_view code = StringMember(entry, "ErrorCode");
      if (!code.empty()) {
        if (code == "ProvisionedThroughputExceededException" || code == "InternalFailure") {
          result.retry.push_back(i);
        } else {
          if (result.rejected++ == 0) {
            spdlog::warn("agent: {} refused a record ({}: {}); it is not sent again", Describe(),
                         code, StringMember(entry, "ErrorMessage"));
          }
        }
      }
      ++i;
    }
    return result;
  }

  std::string Describe() const override {
    return "stream " + stream_ + " at http://" + client_.url().HostHeader() +
           client_.url().path_prefix + "/";
  }

 private:
  std::vector<HttpHeader> Headers() const {
    const std::time_t seconds = static_cast<std::time_t>(clock_.NowMicros() / 1'000'000);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    const std::string date(stamp, 8);
    return {
        {"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Target", "Kinesis_20131202.PutRecords"},
        {"X-Amz-Date", stamp},
        {"Authorization", "AWS4-HMAC-SHA256 Credential=promorec/" + date +
                              "/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;"
                              "x-amz-date;x-amz-target, Signature=" +
                              std::string(64, '0')},
    };
  }

  HttpClient& client_;
  std::string stream_;
  LineFormat format_;
  base::Clock& clock_;
  std::string body_;
  simdjson::dom::parser parser_;
};

}  // namespace

base::Result<LineFormat> ParseLineFormat(std::string_view name) {
  if (name == "click") return LineFormat::kClick;
  if (name == "kasandr") return LineFormat::kKasandr;
  if (name == "json") return LineFormat::kJson;
  return base::InvalidArgument("format '" + std::string(name) +
                               "' is not one of click, kasandr, json");
}

std::string_view LineFormatName(LineFormat format) {
  switch (format) {
    case LineFormat::kClick:
      return "click";
    case LineFormat::kKasandr:
      return "kasandr";
    case LineFormat::kJson:
      return "json";
  }
  return "unknown";
}

std::string PartitionKey(LineFormat format, std::string_view line) {
  std::string key;
  if (format == LineFormat::kClick) {
    key = std::string(line.substr(0, line.find(',')));
  } else if (format == LineFormat::kJson) {
    key = JsonUserId(line);
  }
  if (key.empty() || key.size() > kMaxPartitionKeyBytes) return LineHash(line);
  return key;
}

std::unique_ptr<Sink> NewEventsSink(HttpClient& client, LineFormat format) {
  return std::make_unique<EventsSink>(client, format);
}

std::unique_ptr<Sink> NewKinesisSink(HttpClient& client, std::string stream, LineFormat format,
                                     base::Clock& clock) {
  return std::make_unique<KinesisSink>(client, std::move(stream), format, clock);
}

}  // namespace promorec::agent
