#include "promorec/notify/email.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "promorec/base/base64.h"
#include "promorec/base/strings.h"
#include "promorec/notify/curl_easy.h"

namespace promorec::notify {
namespace {

constexpr std::size_t kMaxLineBytes = 998;  // RFC 5322 section 2.1.1
// Raw bytes per encoded-word: 52 base64 characters, so that
// "Subject: =?UTF-8?B?...?=" stays under 76 characters.
constexpr std::size_t kWordBytes = 39;
constexpr std::size_t kQpLineChars = 76;

bool IsAscii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// The address and the From header's display part of EmailOptions::from.
struct FromAddress {
  std::string address;
  std::string header;  // the From header's value
};

// Bytes a display name may hold without quoting (RFC 5322 atext and space).
bool IsPlainPhrase(std::string_view name) {
  for (const char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) continue;
    if (std::strchr(" !#$%&'*+-/=?^_`{|}~", c) == nullptr) return false;
  }
  return true;
}

std::string EncodeWords(std::string_view text);

base::Result<FromAddress> ParseFrom(std::string_view from) {
  const std::string what = "email From '" + Excerpt(from, 80) + "'";
  if (from.find_first_of("\r\n") != std::string_view::npos) {
    return base::InvalidArgument(what + ": contains a line break");
  }
  from = base::Trim(from);
  FromAddress sender;
  if (from.ends_with('>')) {
    const std::size_t open = from.rfind('<');
    if (open == std::string_view::npos) {
      return base::InvalidArgument(what + ": '>' without '<'");
    }
    sender.address = std::string(from.substr(open + 1, from.size() - open - 2));
    const std::string_view name = base::Trim(from.substr(0, open));
    if (name.find_first_of("\"\\<>") != std::string_view::npos) {
      return base::InvalidArgument(what + ": the name must not contain quotes, '\\', '<' or '>'");
    }
    if (name.empty()) {
      sender.header = "<" + sender.address + ">";
    } else if (!IsAscii(name)) {
      sender.header = EncodeWords(name) + " <" + sender.address + ">";
    } else if (IsPlainPhrase(name)) {
      sender.header = std::string(name) + " <" + sender.address + ">";
    } else {
      sender.header = "\"" + std::string(name) + "\" <" + sender.address + ">";
    }
  } else {
    sender.address = std::string(from);
    sender.header = sender.address;
  }
  if (!IsPlainAddress(sender.address)) {
    return base::InvalidArgument(what + ": '" + Excerpt(sender.address, 80) +
                                 "' is not a plain address (local@domain)");
  }
  return sender;
}

// Length of the UTF-8 sequence `lead` starts (1 for anything not a lead
// byte, so that invalid text is still cut somewhere).
std::size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  return 1;
}

std::string EncodeWords(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i;
    while (end < text.size()) {
      const std::size_t next =
          std::min(text.size(), end + SequenceLength(static_cast<unsigned char>(text[end])));
      if (next - i > kWordBytes && end > i) break;
      end = next;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    base::AppendBase64(text.substr(i, end - i), &out);
    out += "?=";
    i = end;
  }
  return out;
}

std::string DateHeader(std::int64_t date_us) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t seconds = date_us / 1'000'000;
  if (date_us < 0 && date_us % 1'000'000 != 0) --seconds;
  const auto when = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday % 7],
                utc.tm_mday, kMonths[utc.tm_mon % 12], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                utc.tm_sec);
  return text;
}

// The decision id as a msg-id's left part: atext and dots kept, any other
// byte (and '%') as %XX, so that distinct ids stay distinct.
std::string MessageIdLeft(std::string_view id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : id) {
    const auto b = static_cast<unsigned char>(c);
    if (std::isalnum(b) != 0 ||
        (c != '%' && std::strchr("!#$&'*+-/=?^_`{|}~.", c) != nullptr && c != '\0')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
  // A dot-atom neither starts nor ends with a dot, nor has two together.
  std::string fixed;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const bool bad_dot = out[i] == '.' && (i == 0 || i + 1 == out.size() || out[i + 1] == '.');
    fixed += bad_dot ? std::string("%2E") : std::string(1, out[i]);
  }
  return fixed;
}

// The body's lines, split at CRLF, CR or LF.
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' && text[i] != '\n') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  lines.push_back(text.substr(start));
  return lines;
}

void AppendQuotedPrintable(std::string_view line, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto b = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    char token[4] = {};
    std::size_t length = 1;
    if ((b >= 33 && b <= 126 && b != '=') || ((b == ' ' || b == '\t') && !last)) {
      token[0] = static_cast<char>(b);
    } else {
      token[0] = '=';
      token[1] = kHex[b >> 4];
      token[2] = kHex[b & 0xF];
      length = 3;
    }
    // Room for a soft break's '=' unless this is the line's last token.
    const std::size_t room = last ? kQpLineChars : kQpLineChars - 1;
    if (column + length > room) {
      out->append("=\r\n");
      column = 0;
    }
    out->append(token, length);
    column += length;
  }
}

class EmailSender final : public Sender {
 public:
  EmailSender(const EmailOptions& options, std::string envelope_from, const base::Clock& clock)
      : options_(options),
        envelope_from_(std::move(envelope_from)),
        clock_(clock),
        handle_(curl_easy_init()) {}

  AttemptResult Send(const Notification& notification, std::size_t target, int attempt,
                     const std::atomic<bool>& cancel) override;

 private:
  static std::size_t Read(char* buffer, std::size_t size, std::size_t count, void* self) {
    auto* sender = static_cast<EmailSender*>(self);
    const std::size_t n = std::min(size * count, sender->message_.size() - sender->sent_);
    std::memcpy(buffer, sender->message_.data() + sender->sent_, n);
    sender->sent_ += n;
    return n;
  }

  const EmailOptions& options_;
  const std::string envelope_from_;
  const base::Clock& clock_;
  CurlEasy handle_;
  std::string message_;
  std::size_t sent_ = 0;
  char error_[CURL_ERROR_SIZE] = {};
};

AttemptResult EmailSender::Send(const Notification& notification, std::size_t /*target*/,
                                int /*attempt*/, const std::atomic<bool>& cancel) {
  if (!handle_) return AttemptResult::Retry("libcurl could not make a handle");
  auto message = BuildEmailMessage(notification, options_.from, clock_.NowMicros());
  if (!message) return AttemptResult::Permanent(message.error().message());
  message_ = std::move(*message);
  sent_ = 0;
  CurlSlist recipients;
  SlistAppend(&recipients, "<" + notification.email + ">");

  CURL* h = handle_.get();
  curl_easy_reset(h);
  error_[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   static_cast<long>(options_.require_starttls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  if (!options_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str());
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + envelope_from_ + ">").c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &EmailSender::Read);
  curl_easy_setopt(h, CURLOPT_READDATA, this);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message_.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &AbortWhenCancelled);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancel));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_);

  const CURLcode code = curl_easy_perform(h);
  if (code == CURLE_OK) return AttemptResult::Delivered();
  const std::string where = "SMTP " + RedactUrl(options_.url);
  if (code == CURLE_ABORTED_BY_CALLBACK) return AttemptResult::Retry(where + ": cancelled");
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  std::string error = where + ": " + CurlErrorText(code, error_);
  if (reply > 0) error += " (reply " + std::to_string(reply) + ")";
  if (reply >= 500 && reply < 600) return AttemptResult::Permanent(std::move(error));
  return AttemptResult::Retry(std::move(error));
}

class EmailChannel final : public Channel {
 public:
  EmailChannel(EmailOptions options, std::string envelope_from, const base::Clock& clock)
      : options_(std::move(options)), envelope_from_(std::move(envelope_from)), clock_(clock) {}

  std::string_view name() const override { return "email"; }
  std::size_t target_count() const override { return 1; }
  std::string TargetName(std::size_t) const override { return RedactUrl(options_.url); }
  bool Wants(const Notification& notification) const override {
    return !notification.email.empty();
  }
  std::unique_ptr<Sender> NewSender() override {
    return std::make_unique<EmailSender>(options_, envelope_from_, clock_);
  }

 private:
  const EmailOptions options_;
  const std::string envelope_from_;
  const base::Clock& clock_;
};

}  // namespace

bool IsPlainAddress(std::string_view address) {
  if (address.size() < 3 || address.size() > 254) return false;
  const std::size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size() || at > 64) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (const char c : address) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b >= 0x7F) return false;
    if (std::strchr("\"(),:;<>[\\]", c) != nullptr) return false;
  }
  const std::string_view domain = address.substr(at + 1);
  return !domain.starts_with('.') && !domain.ends_with('.') &&
         domain.find("..") == std::string_view::npos;
}

std::string EncodeSubject(std::string_view subject) {
  std::string flat(subject);
  for (char& c : flat) {
    if (c == '\r' || c == '\n' || (static_cast<unsigned char>(c) < 0x20 && c != '\t')) c = ' ';
  }
  const bool plain =
      IsAscii(flat) && flat.find("=?") == std::string::npos && flat.size() <= kMaxLineBytes - 20;
  return plain ? flat : EncodeWords(flat);
}

base::Result<std::string> BuildEmailMessage(const Notification& notification, std::string_view from,
                                            std::int64_t date_us) {
  if (!IsPlainAddress(notification.email)) {
    return base::InvalidArgument("email address '" + Excerpt(notification.email, 80) +
                                 "' is not a plain address (local@domain)");
  }
  if (notification.decision_id.empty()) {
    return base::InvalidArgument("a notification without a decision id");
  }
  PROMOREC_ASSIGN_OR_RETURN(const FromAddress sender, ParseFrom(from));
  const std::vector<std::string_view> lines = Lines(notification.message);
  bool seven_bit =
      IsAscii(notification.message) && notification.message.find('\0') == std::string::npos;
  for (const std::string_view line : lines) {
    if (line.size() > kMaxLineBytes) seven_bit = false;
  }
  std::string out;
  out.reserve(512 + 2 * notification.message.size());
  out += "Date: " + DateHeader(date_us) + "\r\n";
  out += "From: " + sender.header + "\r\n";
  out += "To: " + notification.email + "\r\n";
  out += "Subject: " + EncodeSubject(notification.subject) + "\r\n";
  out += "Message-ID: <" + MessageIdLeft(notification.decision_id) + "@promorec>\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += seven_bit ? "Content-Transfer-Encoding: 7bit\r\n"
                   : "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  for (const std::string_view line : lines) {
    if (seven_bit) {
      out.append(line);
    } else {
      AppendQuotedPrintable(line, &out);
    }
    out += "\r\n";
  }
  return out;
}

base::Result<std::unique_ptr<DeliveryQueue>> NewEmailDelivery(const EmailOptions& options,
                                                              const base::Clock& clock,
                                                              base::Env& env) {
  const std::string lower = base::AsciiLower(options.url.substr(0, 8));
  if (!lower.starts_with("smtp://") && !lower.starts_with("smtps://")) {
    return base::InvalidArgument("email server URL '" + RedactUrl(options.url) +
                                 "' must start with smtp:// or smtps://");
  }
  if (options.url.find_first_of(" \t\r\n") != std::string::npos) {
    return base::InvalidArgument("email server URL '" + RedactUrl(options.url) +
                                 "' contains white space");
  }
  PROMOREC_ASSIGN_OR_RETURN(const FromAddress sender, ParseFrom(options.from));
  if (options.username.empty() != options.password.empty()) {
    return base::InvalidArgument("email: give both a user name and a password, or neither");
  }
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return base::InvalidArgument("email: timeouts must be positive");
  }
  PROMOREC_RETURN_IF_ERROR(InitCurl());
  return DeliveryQueue::Create(std::make_unique<EmailChannel>(options, sender.address, clock),
                               options.delivery, clock, env);
}

}  // namespace promorec::notify
