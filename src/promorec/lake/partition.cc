#include "promorec/lake/partition.h"

#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace promorec::lake {

std::int64_t PartitionHour(std::int64_t time_us) {
  if (time_us < 0) return 0;
  return time_us - time_us % kHourUs;
}

std::string PartitionPath(std::int64_t time_us) {
  const std::int64_t hour = PartitionHour(time_us);
  const std::chrono::sys_days day{std::chrono::days{hour / (24 * kHourUs)}};
  const std::chrono::year_month_day ymd{day};
  return fmt::format("year={:04}/month={:02}/day={:02}/hour={:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     (hour / kHourUs) % 24);
}

std::string TablePartitionPath(std::string_view table, std::int64_t time_us) {
  std::string out(table);
  out += '/';
  out += PartitionPath(time_us);
  return out;
}

std::optional<std::int64_t> ParsePartitionPath(std::string_view path) {
  // year=YYYY/month=MM/day=DD/hour=HH is 33 characters.
  if (path.size() != 33) return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t digits) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
      if (path[i] < '0' || path[i] > '9') return std::nullopt;
      v = v * 10 + (path[i] - '0');
    }
    return v;
  };
  if (path.substr(0, 5) != "year=" || path.substr(9, 7) != "/month=" ||
      path.substr(18, 5) != "/day=" || path.substr(25, 6) != "/hour=") {
    return std::nullopt;
  }
  const auto year = number(5, 4);
  const auto month = number(16, 2);
  const auto day = number(23, 2);
  const auto hour = number(31, 2);
  if (!year || !month || !day || !hour || *hour > 23) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{*year},
                                        std::chrono::month{static_cast<unsigned>(*month)},
                                        std::chrono::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  if (days < 0) return std::nullopt;
  return days * 24 * kHourUs + std::int64_t{*hour} * kHourUs;
}

}  // namespace promorec::lake
