#include "promorec/app/import_report.h"

#include <cstdio>

#include "promorec/base/json_string.h"

namespace promorec::app {
namespace {

void AppendReasons(const event::ReadStats& stats, std::string* out) {
  out->append("{");
  bool first = true;
  for (int i = 0; i < event::kReasonCount; ++i) {
    const std::uint64_t count = stats.rejected_by_reason[static_cast<std::size_t>(i)];
    if (count == 0) continue;
    if (!first) out->append(",");
    first = false;
    base::AppendJsonString(event::ReasonName(static_cast<event::Reason>(i)), out);
    out->append(":").append(std::to_string(count));
  }
  out->append("}");
}

void AppendCounts(const event::ReadStats& stats, std::string* out) {
  out->append("\"rows_read\":").append(std::to_string(stats.rows_read));
  out->append(",\"accepted\":").append(std::to_string(stats.accepted));
  out->append(",\"rejected\":").append(std::to_string(stats.rejected));
  out->append(",\"rejected_by_reason\":");
  AppendReasons(stats, out);
  out->append(",\"bytes\":").append(std::to_string(stats.bytes));
}

std::string FormatDouble(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

}  // namespace

void ImportReport::AddFile(const std::string& path, const event::ReadStats& stats) {
  files_.push_back(FileEntry{path, stats, ""});
  total_.Add(stats);
}

void ImportReport::AddFailedFile(const std::string& path, const std::string& error) {
  files_.push_back(FileEntry{path, {}, error});
}

std::string ImportReport::ToJson() const {
  std::string out = "{\"files\":[";
  for (std::size_t i = 0; i < files_.size(); ++i) {
    if (i > 0) out.append(",");
    out.append("{\"path\":");
    base::AppendJsonString(files_[i].path, &out);
    if (!files_[i].error.empty()) {
      out.append(",\"error\":");
      base::AppendJsonString(files_[i].error, &out);
    } else {
      out.append(",");
      AppendCounts(files_[i].stats, &out);
    }
    out.append("}");
  }
  out.append("],");
  AppendCounts(total_, &out);
  if (!dead_letter_.empty()) {
    out.append(",\"dead_letter\":");
    base::AppendJsonString(dead_letter_, &out);
  }
  out.append(",\"seconds\":").append(FormatDouble(seconds_));
  const double rate = seconds_ > 0 ? static_cast<double>(total_.rows_read) / seconds_ : 0;
  out.append(",\"rows_per_second\":").append(std::to_string(static_cast<std::uint64_t>(rate)));
  out.append(",\"stream\":");
  base::AppendJsonString(stream_, &out);
  out.append(",\"stored\":").append(std::to_string(stored_)).append("}\n");
  return out;
}

std::string ImportReport::ToText() const {
  std::string out;
  for (const FileEntry& file : files_) {
    out += file.path + ": ";
    if (!file.error.empty()) {
      out += "FAILED: " + file.error + "\n";
      continue;
    }
    out += std::to_string(file.stats.rows_read) + " rows read, " +
           std::to_string(file.stats.accepted) + " accepted, " +
           std::to_string(file.stats.rejected) + " rejected\n";
  }
  out += "total: " + std::to_string(total_.rows_read) + " rows read, " +
         std::to_string(total_.accepted) + " accepted, " + std::to_string(total_.rejected) +
         " rejected in " + FormatDouble(seconds_) + " s\n";
  for (int i = 0; i < event::kReasonCount; ++i) {
    const std::uint64_t count = total_.rejected_by_reason[static_cast<std::size_t>(i)];
    if (count == 0) continue;
    out += "  rejected " + std::string(event::ReasonName(static_cast<event::Reason>(i))) + ": " +
           std::to_string(count) + "\n";
  }
  if (!dead_letter_.empty()) out += "rejected records kept in " + dead_letter_ + "\n";
  out += std::to_string(stored_) + " events appended to stream " + stream_ + "\n";
  return out;
}

ProgressLine::ProgressLine(bool enabled, std::string label)
    : enabled_(enabled),
      label_(std::move(label)),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_) {}

void ProgressLine::Update(std::uint64_t bytes, std::uint64_t rows) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
  std::fprintf(stderr, "\r%s: %.1f MB, %llu rows, %.2f M rows/s   ", label_.c_str(),
               static_cast<double>(bytes) / 1e6, static_cast<unsigned long long>(rows), rate / 1e6);
  drawn_ = true;
}

void ProgressLine::Finish() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace promorec::app
