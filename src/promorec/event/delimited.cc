#include "promorec/event/delimited.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "promorec/event/limits.h"
#include "promorec/event/timestamp.h"
#include "promorec/event/validate.h"

namespace promorec::event {
namespace {

struct NamedColumn {
  std::string_view name;
  Column column;
};

constexpr std::array<NamedColumn, 7> kKnownColumns = {{
    {"userid", Column::kUserId},
    {"offerid", Column::kOfferId},
    {"countrycode", Column::kCountry},
    {"category", Column::kCategory},
    {"merchant", Column::kMerchant},
    {"utcdate", Column::kUtcDate},
    {"rating", Column::kRating},
}};

// At most this many columns: enough for KASANDR plus extras, and a bound on
// per-line work.
constexpr std::size_t kMaxColumns = 64;

std::string_view TrimCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::size_t CountFields(std::string_view line, char separator) {
  std::size_t count = 1;
  const char* p = line.data();
  const char* end = p + line.size();
  while ((p = static_cast<const char*>(
              std::memchr(p, separator, static_cast<std::size_t>(end - p)))) != nullptr) {
    ++count;
    ++p;
  }
  return count;
}

// Names the first field whose bytes are not valid UTF-8.
FieldError LocateInvalidUtf8(const ColumnLayout& layout, std::string_view line) {
  std::size_t index = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(layout.separator(), start);
    const std::string_view value =
        line.substr(start, end == std::string_view::npos ? line.npos : end - start);
    if (!IsValidUtf8(value)) {
      const std::string field = index < layout.names().size() ? layout.names()[index] : "";
      return FieldError{Reason::kInvalidUtf8, field, "is not valid UTF-8: " + QuoteForError(value)};
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
    ++index;
  }
  return FieldError{Reason::kInvalidUtf8, "", "line is not valid UTF-8"};
}

}  // namespace

ColumnLayout ColumnLayout::Classic() {
  std::vector<Column> columns;
  std::vector<std::string> names;
  for (const auto& known : kKnownColumns) {
    columns.push_back(known.column);
    names.emplace_back(known.name);
  }
  return ColumnLayout(',', std::move(columns), std::move(names));
}

std::expected<ColumnLayout, FieldError> ColumnLayout::FromHeader(std::string_view header) {
  header = TrimCr(header);
  // A UTF-8 byte order mark before the header is common in exported files.
  if (header.starts_with("\xEF\xBB\xBF")) header.remove_prefix(3);
  if (!IsValidUtf8(header)) {
    return Reject(Reason::kBadHeader, "", "header line is not valid UTF-8");
  }
  const char separator = header.find('\t') != std::string_view::npos ? '\t' : ',';
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= header.size()) {
    std::size_t end = header.find(separator, start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view name = header.substr(start, end - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    names.emplace_back(name);
    if (names.size() > kMaxColumns) {
      return Reject(Reason::kBadHeader, "",
                    "more than " + std::to_string(kMaxColumns) + " columns");
    }
    start = end + 1;
  }
  std::vector<Column> columns;
  std::array<bool, kKnownColumns.size()> seen{};
  for (std::size_t index = 0; index < names.size(); ++index) {
    const std::string& name = names[index];
    if (name.empty()) {
      return Reject(Reason::kBadHeader, "",
                    "header column " + std::to_string(index + 1) + " has no name");
    }
    Column column = Column::kExtra;
    for (std::size_t i = 0; i < kKnownColumns.size(); ++i) {
      if (kKnownColumns[i].name == name) {
        seen[i] = true;
        column = kKnownColumns[i].column;
      }
    }
    columns.push_back(column);
  }
  if (std::none_of(seen.begin(), seen.end(), [](bool b) { return b; })) {
    return Reject(Reason::kBadHeader, "",
                  "no known column name (userid, offerid, countrycode, category, merchant, "
                  "utcdate, rating); is the header line missing?");
  }
  for (std::size_t index = 0; index < names.size(); ++index) {
    for (std::size_t earlier = 0; earlier < index; ++earlier) {
      if (names[earlier] == names[index]) {
        return Reject(Reason::kBadHeader, names[index], "column appears twice in the header");
      }
    }
  }
  for (std::size_t i = 0; i < kKnownColumns.size(); ++i) {
    if (!seen[i]) {
      return Reject(Reason::kBadHeader, kKnownColumns[i].name,
                    "required column missing from the header (need userid, offerid, countrycode, "
                    "category, merchant, utcdate, rating)");
    }
  }
  return ColumnLayout(separator, std::move(columns), std::move(names));
}

std::string ColumnLayout::HeaderLine() const {
  std::string out;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (i > 0) out += separator_;
    out += names_[i];
  }
  return out;
}

DecodeStatus ParseDelimitedLine(const ColumnLayout& layout, std::string_view line, ClickEvent* out,
                                std::string* scratch) {
  out->Clear();
  line = TrimCr(line);
  if (line.size() > kMaxLineBytes) {
    return Reject(Reason::kLineTooLong, "",
                  "line is " + std::to_string(line.size()) + " bytes, the limit is " +
                      std::to_string(kMaxLineBytes));
  }
  const std::vector<Column>& columns = layout.columns();
  const char separator = layout.separator();
  const std::size_t fields = CountFields(line, separator);
  if (fields != columns.size()) {
    std::string names;
    for (const std::string& name : layout.names()) {
      if (!names.empty()) names += ',';
      names += name;
    }
    std::string detail = "expected " + std::to_string(columns.size()) +
                         (separator == '\t' ? " tab" : " comma") + "-separated fields (" + names +
                         "), got " + std::to_string(fields);
    return Reject(Reason::kWrongFieldCount, "", std::move(detail));
  }
  if (!IsValidUtf8(line)) return std::unexpected(LocateInvalidUtf8(layout, line));

  std::string_view rating_text;
  std::string_view date_text;
  std::size_t rating_index = 0;
  std::size_t date_index = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::size_t end = i + 1 == columns.size() ? line.size() : line.find(separator, start);
    const std::string_view value = line.substr(start, end - start);
    start = end + 1;
    const std::string& name = layout.names()[i];
    switch (columns[i]) {
      case Column::kUserId:
        if (auto s = CheckIdShape(name, value, true); !s) return s;
        out->user_id.assign(value);
        break;
      case Column::kOfferId:
        if (auto s = CheckIdShape(name, value, false); !s) return s;
        out->offer_id.assign(value);
        break;
      case Column::kCountry:
        if (auto s = CheckIdShape(name, value, false); !s) return s;
        out->country.assign(value);
        break;
      case Column::kCategory:
        if (auto s = CheckIdShape(name, value, false); !s) return s;
        out->category.assign(value);
        break;
      case Column::kMerchant:
        if (auto s = CheckIdShape(name, value, true); !s) return s;
        out->product.assign(value);
        break;
      case Column::kUtcDate:
        date_text = value;
        date_index = i;
        break;
      case Column::kRating:
        rating_text = value;
        rating_index = i;
        break;
      case Column::kExtra:
        if (auto s = CheckValueShape(name, value, kMaxAttributeValueBytes); !s) return s;
        out->attributes.emplace_back(name, value);
        break;
    }
  }
  if (auto s = ParseTimestampField(layout.names()[date_index], date_text, &out->timestamp_us); !s) {
    return s;
  }
  if (auto s = ParseRating(layout.names()[rating_index], rating_text, &out->rating); !s) return s;
  // The classic line has no type: a rating of 1 is a purchase with the
  // line's offer as the promotion used.
  out->type = EventTypeFromRating(out->rating);
  AssignContentEventId(out, scratch);
  return {};
}

DecodeStatus AppendDelimitedLine(const ColumnLayout& layout, const ClickEvent& event,
                                 std::string* out) {
  const std::size_t mark = out->size();
  const char separator = layout.separator();
  for (std::size_t i = 0; i < layout.columns().size(); ++i) {
    if (i > 0) out->push_back(separator);
    std::string_view value;
    switch (layout.columns()[i]) {
      case Column::kUserId:
        value = event.user_id;
        break;
      case Column::kOfferId:
        value = event.offer_id;
        break;
      case Column::kCountry:
        value = event.country;
        break;
      case Column::kCategory:
        value = event.category;
        break;
      case Column::kMerchant:
        value = event.product;
        break;
      case Column::kUtcDate:
        AppendEpochSeconds(event.timestamp_us, out);
        continue;
      case Column::kRating:
        out->push_back(static_cast<char>('0' + event.rating));
        continue;
      case Column::kExtra:
        for (const auto& [key, attribute] : event.attributes) {
          if (key == layout.names()[i]) {
            value = attribute;
            break;
          }
        }
        break;
    }
    if (value.find(separator) != std::string_view::npos ||
        value.find('\n') != std::string_view::npos || value.find('\r') != std::string_view::npos) {
      out->resize(mark);
      return Reject(Reason::kBadRecord, layout.names()[i],
                    "holds a separator or line break, which this format cannot carry");
    }
    out->append(value);
  }
  return {};
}

bool IsClassicHeaderLine(std::string_view line) { return line.starts_with("userid,"); }

}  // namespace promorec::event
