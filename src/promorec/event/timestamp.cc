#include "promorec/event/timestamp.h"

#include <cstdio>

#include "promorec/event/limits.h"

namespace promorec::event {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::string_view kExpected =
    "expected epoch seconds like 1518318207.8448 or a UTC date-time like "
    "2016-06-14 17:28:47.0";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[*pos].
bool ReadDigits(std::string_view text, std::size_t* pos, std::size_t n, unsigned* value) {
  if (*pos + n > text.size()) return false;
  unsigned v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

// Reads ".ddd" (1 to 9 digits) as microseconds, truncating below 1 µs.
bool ReadFraction(std::string_view text, std::size_t* pos, std::int64_t* micros) {
  *micros = 0;
  if (*pos >= text.size() || text[*pos] != '.') return true;
  ++*pos;
  std::size_t digits = 0;
  std::int64_t scale = 100000;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    if (digits < 6) *micros += (text[*pos] - '0') * scale;
    scale /= 10;
    ++digits;
    ++*pos;
  }
  return digits >= 1 && digits <= 9;
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

base::Result<std::int64_t> CheckRange(std::int64_t micros) {
  if (micros < 0 || micros >= kMaxTimestampSeconds * kMicrosPerSecond) {
    return base::InvalidArgument("timestamp outside 1970-01-01 .. 2200-01-01");
  }
  return micros;
}

base::Result<std::int64_t> ParseEpoch(std::string_view text) {
  std::size_t pos = 0;
  std::int64_t seconds = 0;
  while (pos < text.size() && IsDigit(text[pos])) {
    if (pos >= 12) return base::InvalidArgument("timestamp outside 1970-01-01 .. 2200-01-01");
    seconds = seconds * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos == 0) return base::InvalidArgument(std::string(kExpected));
  std::int64_t micros = 0;
  if (!ReadFraction(text, &pos, &micros) || pos != text.size()) {
    return base::InvalidArgument(std::string(kExpected));
  }
  if (seconds >= kMaxTimestampSeconds) {
    return base::InvalidArgument("timestamp outside 1970-01-01 .. 2200-01-01");
  }
  return CheckRange(seconds * kMicrosPerSecond + micros);
}

base::Result<std::int64_t> ParseDateTime(std::string_view text) {
  std::size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const bool shape_ok =
      ReadDigits(text, &pos, 4, &year) && pos < text.size() && text[pos++] == '-' &&
      ReadDigits(text, &pos, 2, &month) && pos < text.size() && text[pos++] == '-' &&
      ReadDigits(text, &pos, 2, &day) && pos < text.size() &&
      (text[pos] == ' ' || text[pos] == 'T') && ++pos && ReadDigits(text, &pos, 2, &hour) &&
      pos < text.size() && text[pos++] == ':' && ReadDigits(text, &pos, 2, &minute) &&
      pos < text.size() && text[pos++] == ':' && ReadDigits(text, &pos, 2, &second);
  if (!shape_ok) return base::InvalidArgument(std::string(kExpected));
  std::int64_t micros = 0;
  if (!ReadFraction(text, &pos, &micros)) return base::InvalidArgument(std::string(kExpected));
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      ++pos;
    } else if ((text[pos] == '+' || text[pos] == '-') && text.size() - pos == 6) {
      const std::int64_t sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      unsigned oh = 0, om = 0;
      if (!ReadDigits(text, &pos, 2, &oh) || text[pos++] != ':' ||
          !ReadDigits(text, &pos, 2, &om) || oh > 23 || om > 59) {
        return base::InvalidArgument("bad UTC offset (expected Z or +HH:MM)");
      }
      offset_seconds = sign * (oh * 3600 + om * 60);
    } else {
      return base::InvalidArgument(std::string(kExpected));
    }
  }
  if (month < 1 || month > 12) return base::InvalidArgument("month out of range 01..12");
  if (day < 1 || day > DaysInMonth(year, month)) {
    return base::InvalidArgument("day out of range for the month");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return base::InvalidArgument("time of day out of range");
  }
  const std::int64_t days = DaysFromCivil(year, month, day);
  const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return CheckRange(seconds * kMicrosPerSecond + micros);
}

}  // namespace

std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  // Howard Hinnant's days_from_civil algorithm (public domain description).
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3u : 9u)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t days, std::int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<std::int64_t>(yoe) + era * 400 + (*month <= 2);
}

base::Result<std::int64_t> ParseTimestamp(std::string_view text) {
  if (text.empty()) return base::InvalidArgument("empty timestamp");
  // A date-time has '-' at index 4; epoch seconds never do.
  if (text.size() >= 10 && text[4] == '-') return ParseDateTime(text);
  return ParseEpoch(text);
}

namespace {

void AppendFraction(std::int64_t micros, std::string* out) {
  if (micros == 0) return;
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros));
  std::size_t len = 7;
  while (buf[len - 1] == '0') --len;
  out->append(buf, len);
}

}  // namespace

void AppendEpochSeconds(std::int64_t timestamp_us, std::string* out) {
  out->append(std::to_string(timestamp_us / kMicrosPerSecond));
  AppendFraction(timestamp_us % kMicrosPerSecond, out);
}

void AppendIso8601(std::int64_t timestamp_us, std::string* out) {
  const std::int64_t seconds = timestamp_us / kMicrosPerSecond;
  std::int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(seconds / 86400, &year, &month, &day);
  const std::int64_t sod = seconds % 86400;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                static_cast<long long>(year), month, day, static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  out->append(buf);
  AppendFraction(timestamp_us % kMicrosPerSecond, out);
  out->push_back('Z');
}

}  // namespace promorec::event
