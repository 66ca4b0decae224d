#include "promorec/notify/webhook.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

#include "promorec/base/strings.h"
#include "promorec/notify/curl_easy.h"

namespace promorec::notify {
namespace {

constexpr std::size_t kExcerptBytes = 200;

// A header value must not end the header early: visible ASCII only.
bool IsHeaderToken(std::string_view value) {
  if (value.empty()) return false;
  for (const char c : value) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

base::Status CheckUrl(const std::string& url) {
  const std::string what = "webhook URL '" + RedactUrl(url) + "'";
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      return base::InvalidArgument(what + ": contains a space or control character");
    }
  }
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return base::MakeError(base::Code::kInternal, what + ": out of memory");
  const CURLUcode set = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  std::string scheme;
  std::string host;
  if (set == CURLUE_OK) {
    char* part = nullptr;
    if (curl_url_get(parsed, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) scheme = part;
    curl_free(part);
    part = nullptr;
    if (curl_url_get(parsed, CURLUPART_HOST, &part, 0) == CURLUE_OK) host = part;
    curl_free(part);
  }
  curl_url_cleanup(parsed);
  if (set != CURLUE_OK) {
    return base::InvalidArgument(what + ": not a URL (" + curl_url_strerror(set) + ")");
  }
  if (scheme != "http" && scheme != "https") {
    return base::InvalidArgument(what + ": must be http:// or https://, not " + scheme + "://");
  }
  if (host.empty()) return base::InvalidArgument(what + ": has no host");
  return {};
}

class WebhookSender final : public Sender {
 public:
  WebhookSender(const WebhookOptions& options, const base::Clock& clock)
      : options_(options), clock_(clock), handle_(curl_easy_init()) {}

  AttemptResult Send(const Notification& notification, std::size_t target, int attempt,
                     const std::atomic<bool>& cancel) override;

 private:
  static std::size_t Collect(char* data, std::size_t size, std::size_t count, void* self) {
    auto* sender = static_cast<WebhookSender*>(self);
    const std::size_t bytes = size * count;
    if (sender->answer_.size() < kExcerptBytes + 1) {
      sender->answer_.append(data, std::min(bytes, kExcerptBytes + 1 - sender->answer_.size()));
    }
    return bytes;
  }

  std::optional<std::chrono::seconds> RetryAfter(std::int64_t now_seconds) {
    curl_header* header = nullptr;
    if (curl_easy_header(handle_.get(), "Retry-After", 0, CURLH_HEADER, -1, &header) != CURLHE_OK) {
      return std::nullopt;
    }
    return ParseRetryAfter(header->value, now_seconds);
  }

  const WebhookOptions& options_;
  const base::Clock& clock_;
  CurlEasy handle_;
  std::string body_;
  std::string answer_;
  char error_[CURL_ERROR_SIZE] = {};
};

AttemptResult WebhookSender::Send(const Notification& notification, std::size_t target, int attempt,
                                  const std::atomic<bool>& cancel) {
  const std::string& url = options_.urls[target];
  if (!handle_) return AttemptResult::Retry("libcurl could not make a handle");
  if (!IsHeaderToken(notification.decision_id)) {
    return AttemptResult::Permanent("decision id '" + Excerpt(notification.decision_id, 64) +
                                    "' cannot be an Idempotency-Key (empty, or not visible ASCII)");
  }
  body_ = NotificationJson(notification);
  const std::int64_t now_seconds = clock_.NowMicros() / 1'000'000;
  const std::string stamp = std::to_string(now_seconds);
  CurlSlist headers;
  SlistAppend(&headers, "Content-Type: application/json");
  SlistAppend(&headers, "Idempotency-Key: " + notification.decision_id);
  SlistAppend(&headers, std::string(kTimestampHeader) + ": " + stamp);
  SlistAppend(&headers, std::string(kSignatureHeader) + ": " +
                            WebhookSignatureHeader(options_.secret, now_seconds, body_));
  SlistAppend(&headers, std::string(kAttemptHeader) + ": " + std::to_string(attempt));
  // No "Expect: 100-continue" round trip for bodies over 1 KiB.
  SlistAppend(&headers, "Expect:");

  CURL* h = handle_.get();
  // A reset keeps the connection cache, so a receiver's keep-alive
  // connection is reused by the next attempt on this worker.
  curl_easy_reset(h);
  answer_.clear();
  error_[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body_.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WebhookSender::Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &AbortWhenCancelled);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancel));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());

  const CURLcode code = curl_easy_perform(h);
  const std::string where = "POST " + RedactUrl(url);
  if (code != CURLE_OK) {
    if (code == CURLE_ABORTED_BY_CALLBACK) return AttemptResult::Retry(where + ": cancelled");
    return AttemptResult::Retry(where + ": " + CurlErrorText(code, error_));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return AttemptResult::Delivered();
  std::string error = where + ": HTTP " + std::to_string(status);
  if (!answer_.empty()) error += ": " + Excerpt(answer_, kExcerptBytes);
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
    const auto wait = RetryAfter(now_seconds);
    return AttemptResult::Retry(std::move(error), wait.value_or(std::chrono::seconds(0)));
  }
  if (status >= 300 && status < 400) error += " (redirects are not followed)";
  return AttemptResult::Permanent(std::move(error));
}

class WebhookChannel final : public Channel {
 public:
  WebhookChannel(WebhookOptions options, const base::Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  std::string_view name() const override { return "webhook"; }
  std::size_t target_count() const override { return options_.urls.size(); }
  std::string TargetName(std::size_t target) const override {
    return RedactUrl(options_.urls.at(target));
  }
  std::unique_ptr<Sender> NewSender() override {
    return std::make_unique<WebhookSender>(options_, clock_);
  }

 private:
  const WebhookOptions options_;
  const base::Clock& clock_;
};

}  // namespace

std::string WebhookSignature(std::string_view secret, std::int64_t unix_seconds,
                             std::string_view body) {
  std::string payload = std::to_string(unix_seconds);
  payload.push_back('.');
  payload.append(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

std::string WebhookSignatureHeader(std::string_view secret, std::int64_t unix_seconds,
                                   std::string_view body) {
  return "t=" + std::to_string(unix_seconds) +
         ",v1=" + WebhookSignature(secret, unix_seconds, body);
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::int64_t now_unix_seconds) {
  value = base::Trim(value);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    // More than a day is as good as a day: the backoff's maximum caps it.
    std::int64_t seconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc::result_out_of_range || seconds > 86'400) seconds = 86'400;
    return std::chrono::seconds(seconds);
  }
  if (value.size() > 64) return std::nullopt;
  const std::string text(value);
  const time_t when = curl_getdate(text.c_str(), nullptr);
  if (when < 0) return std::nullopt;
  const std::int64_t wait = static_cast<std::int64_t>(when) - now_unix_seconds;
  return std::chrono::seconds(std::clamp<std::int64_t>(wait, 0, 86'400));
}

base::Result<std::unique_ptr<DeliveryQueue>> NewWebhookDelivery(const WebhookOptions& options,
                                                                const base::Clock& clock,
                                                                base::Env& env) {
  if (options.urls.empty()) return base::InvalidArgument("webhooks: no URL");
  for (const std::string& url : options.urls) PROMOREC_RETURN_IF_ERROR(CheckUrl(url));
  if (options.secret.empty()) {
    return base::InvalidArgument("webhooks: no secret (receivers verify the signature with it)");
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return base::InvalidArgument("webhooks: timeouts must be positive");
  }
  PROMOREC_RETURN_IF_ERROR(InitCurl());
  return DeliveryQueue::Create(std::make_unique<WebhookChannel>(options, clock), options.delivery,
                               clock, env);
}

}  // namespace promorec::notify
