#include "promorec/event/event_file.h"

#include <algorithm>
#include <optional>

#include "promorec/event/delimited.h"
#include "promorec/event/limits.h"
#include "promorec/event/line_reader.h"

namespace promorec::event {

// In json_file.cc: a JSON file (object, array or NDJSON) read whole.
base::Result<ReadStats> ReadJsonFile(base::Env& env, const std::string& path,
                                     std::string_view source, const EventCallback& on_event,
                                     DeadLetterSink& dead_letter, const ProgressCallback& progress);

namespace {

constexpr std::size_t kMaxRawBytes = 1024;
constexpr std::uint64_t kProgressEveryRows = 1 << 16;

Rejection MakeRejection(std::string_view source, const Line& line, FieldError error) {
  return Rejection{std::string(source), line.number, line.offset, std::move(error),
                   std::string(line.text.substr(0, kMaxRawBytes))};
}

bool IsBlank(std::string_view text) { return text.empty() || text == "\r"; }

base::Result<ReadStats> ReadDelimitedFile(base::Env& env, const std::string& path,
                                          std::string_view source, InputFormat format,
                                          const EventCallback& on_event,
                                          DeadLetterSink& dead_letter,
                                          const ProgressCallback& progress) {
  PROMOREC_ASSIGN_OR_RETURN(auto reader, LineReader::Open(env, path, kMaxLineBytes));
  ReadStats stats;
  std::optional<ColumnLayout> layout;
  if (format == InputFormat::kClick) layout = ColumnLayout::Classic();
  ClickEvent event;
  std::string scratch;
  Line line;
  while (true) {
    auto more = reader->Next(&line);
    if (!more) return std::unexpected(more.error().WithContext("reading " + path));
    if (!*more) break;
    if (!layout) {
      auto parsed =
          line.too_long
              ? std::unexpected(FieldError{Reason::kBadHeader, "", "header line is too long"})
              : ColumnLayout::FromHeader(line.text);
      if (!parsed) {
        return base::InvalidArgument(std::string(source) +
                                     ":1: not a KASANDR header: " + parsed.error().ToString());
      }
      layout = std::move(*parsed);
      continue;
    }
    if (!line.too_long && IsBlank(line.text)) continue;
    ++stats.rows_read;
    DecodeStatus status;
    if (line.too_long) {
      status = Reject(Reason::kLineTooLong, "",
                      "line is " + std::to_string(line.length) + " bytes, the limit is " +
                          std::to_string(kMaxLineBytes));
    } else {
      status = ParseDelimitedLine(*layout, line.text, &event, &scratch);
      if (!status && !line.terminated) {
        status =
            Reject(Reason::kTruncated, status.error().field,
                   "file ends inside this line (no final line break): " + status.error().detail);
      }
    }
    if (status) {
      ++stats.accepted;
      on_event(event);
    } else {
      stats.CountRejection(status.error().reason);
      dead_letter.Put(MakeRejection(source, line, std::move(status.error())));
    }
    if (progress && stats.rows_read % kProgressEveryRows == 0) {
      progress(reader->bytes_consumed(), stats.rows_read);
    }
  }
  if (!layout) return base::InvalidArgument(std::string(source) + ": empty file: no header line");
  stats.bytes = reader->bytes_consumed();
  if (progress) progress(stats.bytes, stats.rows_read);
  return stats;
}

}  // namespace

base::Result<InputFormat> ParseInputFormat(std::string_view name) {
  if (name == "click") return InputFormat::kClick;
  if (name == "kasandr") return InputFormat::kKasandr;
  if (name == "json") return InputFormat::kJson;
  return base::InvalidArgument("unknown format '" + std::string(name) +
                               "' (expected click, kasandr or json)");
}

std::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kClick:
      return "click";
    case InputFormat::kKasandr:
      return "kasandr";
    case InputFormat::kJson:
      return "json";
  }
  return "unknown";
}

void ReadStats::Add(const ReadStats& other) {
  rows_read += other.rows_read;
  accepted += other.accepted;
  rejected += other.rejected;
  bytes += other.bytes;
  for (std::size_t i = 0; i < rejected_by_reason.size(); ++i) {
    rejected_by_reason[i] += other.rejected_by_reason[i];
  }
}

base::Result<ReadStats> ReadEventFile(base::Env& env, const std::string& path,
                                      std::string_view source, InputFormat format,
                                      const EventCallback& on_event, DeadLetterSink& dead_letter,
                                      const ProgressCallback& progress) {
  switch (format) {
    case InputFormat::kClick:
    case InputFormat::kKasandr:
      return ReadDelimitedFile(env, path, source, format, on_event, dead_letter, progress);
    case InputFormat::kJson:
      return ReadJsonFile(env, path, source, on_event, dead_letter, progress);
  }
  return base::InvalidArgument("unknown input format");
}

}  // namespace promorec::event
