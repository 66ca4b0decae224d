// Where a record lands in the lake: Hive-style partitions by the hour of its
// time, `<table>/year=YYYY/month=MM/day=DD/hour=HH`, as Firehose wrote to S3
// and as Athena, Hive, Spark and DuckDB read them.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace promorec::lake {

inline constexpr std::int64_t kHourUs = 3'600'000'000LL;

// The hour (microseconds since the epoch, UTC, rounded down to the hour)
// that holds `time_us`; times before 1970 fall in hour 0.
std::int64_t PartitionHour(std::int64_t time_us);

// "year=2026/month=12/day=07/hour=20" for the hour that holds `time_us`.
std::string PartitionPath(std::int64_t time_us);

// "<table>/" + PartitionPath(time_us).
std::string TablePartitionPath(std::string_view table, std::int64_t time_us);

// The hour a partition path names, when `path` is exactly what
// PartitionPath writes for it (zero-padded, a real date, hour 00..23).
std::optional<std::int64_t> ParsePartitionPath(std::string_view path);

}  // namespace promorec::lake
