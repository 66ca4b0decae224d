#include "promorec/lake/schema.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <system_error>

#include "promorec/event/timestamp.h"
#include "promorec/event/validate.h"
#include "promorec/lake/csv.h"

namespace promorec::lake {

namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

std::string Shown(std::string_view value) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  out.append(value.substr(0, kMax));
  if (value.size() > kMax) out += "...";
  out += "\"";
  return out;
}

template <typename T>
bool ParseWhole(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kBigint:
      return "bigint";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kTimestamp:
      return "timestamp";
  }
  return "string";
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  for (const ColumnType type : {ColumnType::kString, ColumnType::kBigint, ColumnType::kDouble,
                                ColumnType::kBoolean, ColumnType::kTimestamp}) {
    if (ColumnTypeName(type) == name) return type;
  }
  return std::nullopt;
}

std::string_view DuckDbTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "VARCHAR";
    case ColumnType::kBigint:
      return "BIGINT";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kBoolean:
      return "BOOLEAN";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
  }
  return "VARCHAR";
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

base::Status ValidateSchema(const TableSchema& schema) {
  if (!IsValidName(schema.name)) {
    return base::InvalidArgument(
        "table name " + Shown(schema.name) +
        ": expected 1 to 64 characters of [a-z0-9_] starting with a letter");
  }
  if (schema.columns.empty()) {
    return base::InvalidArgument("table " + schema.name + ": no columns");
  }
  std::set<std::string_view> seen;
  for (const Column& column : schema.columns) {
    if (!IsValidName(column.name)) {
      return base::InvalidArgument(
          "table " + schema.name + ": column name " + Shown(column.name) +
          ": expected 1 to 64 characters of [a-z0-9_] starting with a letter");
    }
    if (column.name == "year" || column.name == "month" || column.name == "day" ||
        column.name == "hour") {
      return base::InvalidArgument("table " + schema.name + ": column " + column.name +
                                   " has the name of a partition column");
    }
    if (!seen.insert(column.name).second) {
      return base::InvalidArgument("table " + schema.name + ": column " + column.name +
                                   " appears twice");
    }
  }
  return base::OkStatus();
}

void AppendTimestamp(std::int64_t time_us, std::string* out) {
  const std::int64_t seconds = time_us / kMicrosPerSecond;
  std::int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  event::CivilFromDays(seconds / 86400, &year, &month, &day);
  const std::int64_t sod = seconds % 86400;
  char buf[48];
  const int n =
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                    static_cast<long long>(year), month, day, static_cast<long long>(sod / 3600),
                    static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                    static_cast<long long>(time_us % kMicrosPerSecond));
  out->append(buf, static_cast<std::size_t>(n));
}

base::Status AppendValue(ColumnType type, std::string_view value, std::string* out) {
  if (type == ColumnType::kString) {
    if (!event::IsValidUtf8(value)) return base::InvalidArgument("string is not valid UTF-8");
    AppendCsvField(value, /*force_quotes=*/value.empty(), out);
    return base::OkStatus();
  }
  if (value.empty()) return base::OkStatus();  // NULL
  switch (type) {
    case ColumnType::kBigint: {
      std::int64_t v = 0;
      if (!ParseWhole(value, &v)) {
        return base::InvalidArgument(Shown(value) + " is not a bigint (a decimal 64-bit integer)");
      }
      char buf[24];
      const auto result = std::to_chars(buf, buf + sizeof buf, v);
      out->append(buf, result.ptr);
      return base::OkStatus();
    }
    case ColumnType::kDouble: {
      double v = 0;
      if (!ParseWhole(value, &v) || !std::isfinite(v)) {
        return base::InvalidArgument(Shown(value) + " is not a finite double");
      }
      char buf[32];
      const auto result = std::to_chars(buf, buf + sizeof buf, v);
      out->append(buf, result.ptr);
      return base::OkStatus();
    }
    case ColumnType::kBoolean:
      if (value == "true" || value == "1") {
        out->append("true");
      } else if (value == "false" || value == "0") {
        out->append("false");
      } else {
        return base::InvalidArgument(Shown(value) + " is not a boolean (true, false, 1 or 0)");
      }
      return base::OkStatus();
    case ColumnType::kTimestamp: {
      std::int64_t v = 0;
      if (!ParseWhole(value, &v) || v < 0 || v > kMaxTimestampUs) {
        return base::InvalidArgument(Shown(value) +
                                     " is not a timestamp (microseconds since the epoch, 0.." +
                                     std::to_string(kMaxTimestampUs) + ")");
      }
      AppendTimestamp(v, out);
      return base::OkStatus();
    }
    case ColumnType::kString:
      break;
  }
  return base::OkStatus();
}

}  // namespace promorec::lake
