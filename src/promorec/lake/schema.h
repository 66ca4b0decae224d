// Tables of the data lake: a name, typed and documented columns, and how a
// value given by the writer's caller becomes CSV text of its column's type
// (docs/formats/lake.md, "Values by column type").
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::lake {

enum class ColumnType : std::uint8_t { kString, kBigint, kDouble, kBoolean, kTimestamp };

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  std::string doc;  // one line: what the column holds

  friend bool operator==(const Column&, const Column&) = default;
};

struct TableSchema {
  std::string name;
  std::vector<Column> columns;
  std::string doc;  // one line: what a row is

  friend bool operator==(const TableSchema&, const TableSchema&) = default;
};

// "string", "bigint", "double", "boolean", "timestamp": the names in the
// catalog and in Athena/Hive DDL.
std::string_view ColumnTypeName(ColumnType type);
std::optional<ColumnType> ParseColumnType(std::string_view name);
// The DuckDB type of a column: VARCHAR, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP.
std::string_view DuckDbTypeName(ColumnType type);

// 1..64 characters of [a-z0-9_] starting with a letter.
bool IsValidName(std::string_view name);

// Names valid, at least one column, no duplicate column, no column named
// like a partition column (year, month, day, hour).
[[nodiscard]] base::Status ValidateSchema(const TableSchema& schema);

// Appends the CSV text of `value` (as given by the caller, see the table in
// lake.md) for a column of `type`, quoted when needed. An empty value is
// NULL (an empty unquoted field), except for strings, where it is the empty
// string. Fails with kInvalidArgument naming the problem.
[[nodiscard]] base::Status AppendValue(ColumnType type, std::string_view value, std::string* out);

// "2026-12-07T20:15:03.123456Z" for a time in µs since the epoch
// (0..kMaxTimestampUs).
void AppendTimestamp(std::int64_t time_us, std::string* out);
inline constexpr std::int64_t kMaxTimestampUs =
    253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z

}  // namespace promorec::lake
