#include "promorec/lake/csv.h"

#include <cstddef>
#include <string>
#include <utility>

namespace promorec::lake {

void AppendCsvField(std::string_view value, bool force_quotes, std::string* out) {
  const bool quote = force_quotes || value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (const char c : value) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

namespace {

// Reads records one at a time; `sink(record)` receives each when asked to
// build them, otherwise only the count moves.
class CsvScanner {
 public:
  explicit CsvScanner(std::string_view text) : text_(text) {}

  // Scans one record starting at pos_; fills `record` when not null.
  base::Status Next(CsvRecord* record) {
    const std::size_t record_start = pos_;
    while (true) {
      CsvField field;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        PROMOREC_RETURN_IF_ERROR(QuotedField(record_start, record != nullptr ? &field : nullptr));
      } else {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' &&
               text_[pos_] != '\r') {
          if (text_[pos_] == '"') {
            return Error(record_start, pos_, "quote inside an unquoted field");
          }
          ++pos_;
        }
        if (record != nullptr && pos_ > start)
          field = std::string(text_.substr(start, pos_ - start));
      }
      if (record != nullptr) record->push_back(std::move(field));
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == '\n') {
        ++pos_;
        break;
      }
      if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        pos_ += 2;
        break;
      }
      return Error(record_start, pos_, "carriage return not followed by line feed");
    }
    ++records_;
    return base::OkStatus();
  }

  bool done() const { return pos_ >= text_.size(); }
  std::size_t records() const { return records_; }

 private:
  base::Status QuotedField(std::size_t record_start, CsvField* field) {
    const std::size_t open = pos_;
    ++pos_;
    std::string value;
    while (true) {
      const std::size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        return Error(record_start, open, "quoted field is not closed before the end of the text");
      }
      if (field != nullptr) value.append(text_.substr(pos_, quote - pos_));
      pos_ = quote + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        if (field != nullptr) value.push_back('"');
        ++pos_;
        continue;
      }
      break;
    }
    if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
      return Error(record_start, pos_, "text after the closing quote of a field");
    }
    if (field != nullptr) *field = std::move(value);
    return base::OkStatus();
  }

  std::unexpected<base::Error> Error(std::size_t record_start, std::size_t at,
                                     std::string_view why) const {
    return base::Corruption("csv record " + std::to_string(records_ + 1) + " (starting at byte " +
                            std::to_string(record_start) + "): " + std::string(why) + " at byte " +
                            std::to_string(at));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t records_ = 0;
};

}  // namespace

base::Result<std::vector<CsvRecord>> ParseCsv(std::string_view text) {
  CsvScanner scanner(text);
  std::vector<CsvRecord> records;
  while (!scanner.done()) {
    CsvRecord record;
    PROMOREC_RETURN_IF_ERROR(scanner.Next(&record));
    records.push_back(std::move(record));
  }
  return records;
}

base::Result<std::size_t> CountCsvRecords(std::string_view text) {
  CsvScanner scanner(text);
  while (!scanner.done()) PROMOREC_RETURN_IF_ERROR(scanner.Next(nullptr));
  return scanner.records();
}

}  // namespace promorec::lake
