#include "promorec/notify/dead_letter_log.h"

#include <unistd.h>

#include <ctime>
#include <string>

#include "promorec/base/json_string.h"
#include "promorec/event/timestamp.h"

namespace promorec::notify {
namespace {

void AppendNotificationJson(const Notification& n, std::string* out) {
  const auto field = [out](const char* key, const std::string& value) {
    out->append(",\"").append(key).append("\":");
    base::AppendJsonString(value, out);
  };
  out->append("{\"decision_id\":");
  base::AppendJsonString(n.decision_id, out);
  field("position", n.position);
  out->append(",\"order\":").append(std::to_string(n.order));
  field("user_id", n.user_id);
  field("email", n.email);
  field("promotion_id", n.promotion_id);
  field("promotion_code", n.promotion_code);
  field("product", n.product);
  out->append(",\"time_us\":").append(std::to_string(n.time_us));
  field("subject", n.subject);
  field("message", n.message);
  out->push_back('}');
}

}  // namespace

void AppendDeadLetterJson(const DeadLetter& letter, std::string* out) {
  const auto field = [out](const char* key, std::string_view value) {
    out->append(",\"").append(key).append("\":");
    base::AppendJsonString(value, out);
  };
  out->append("{\"channel\":");
  base::AppendJsonString(letter.channel, out);
  field("target", letter.target);
  field("reason", letter.reason);
  field("message", letter.message);
  out->append(",\"attempts\":").append(std::to_string(letter.attempts));
  out->append(",\"time\":\"");
  // Whole seconds: the record is for people and tools, not for ordering.
  event::AppendIso8601(letter.time_us - letter.time_us % 1'000'000, out);
  out->push_back('"');
  out->append(",\"time_us\":").append(std::to_string(letter.time_us));
  if (letter.notification != nullptr) {
    out->append(",\"notification\":");
    AppendNotificationJson(*letter.notification, out);
  }
  out->push_back('}');
}

DeadLetterLog::DeadLetterLog(base::Env& env, const base::Clock& clock, std::string dir,
                             std::string channel)
    : env_(env), clock_(clock), dir_(std::move(dir)), channel_(std::move(channel)) {}

DeadLetterLog::~DeadLetterLog() {
  if (file_) {
    (void)file_->Sync();
    (void)file_->Close();
  }
}

base::Status DeadLetterLog::OpenLocked() {
  PROMOREC_RETURN_IF_ERROR(env_.CreateDirs(dir_));
  const std::time_t now = static_cast<std::time_t>(clock_.NowMicros() / 1'000'000);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::string path =
      dir_ + "/" + channel_ + "-" + stamp + "-" + std::to_string(::getpid()) + ".ndjson";
  PROMOREC_ASSIGN_OR_RETURN(file_, env_.NewAppendableFile(path));
  path_ = std::move(path);
  return {};
}

base::Status DeadLetterLog::Put(const DeadLetter& letter, bool sync) {
  const std::lock_guard lock(mu_);
  if (!file_) {
    if (auto opened = OpenLocked(); !opened) {
      return std::unexpected(opened.error().WithContext("dead-letter folder " + dir_));
    }
  }
  line_.clear();
  AppendDeadLetterJson(letter, &line_);
  line_.push_back('\n');
  if (auto appended = file_->Append(line_); !appended) {
    return std::unexpected(appended.error().WithContext("dead-letter file " + path_));
  }
  if (sync) {
    if (auto synced = file_->Sync(); !synced) {
      return std::unexpected(synced.error().WithContext("dead-letter file " + path_));
    }
  }
  return {};
}

base::Status DeadLetterLog::Sync() {
  const std::lock_guard lock(mu_);
  if (!file_) return {};
  if (auto synced = file_->Sync(); !synced) {
    return std::unexpected(synced.error().WithContext("dead-letter file " + path_));
  }
  return {};
}

std::string DeadLetterLog::path() const {
  const std::lock_guard lock(mu_);
  return path_;
}

}  // namespace promorec::notify
