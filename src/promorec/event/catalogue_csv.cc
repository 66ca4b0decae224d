#include "promorec/event/catalogue_csv.h"

#include <charconv>
#include <cmath>
#include <string>

#include "promorec/event/validate.h"

namespace promorec::event {
namespace {

// Splits one CSV record; false when a quoted field is not closed.
bool SplitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    const char c = i < line.size() ? line[i] : ',';
    if (quoted) {
      if (i == line.size()) return false;
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  return true;
}

template <typename RowFn>
base::Status ForEachRow(std::string_view text, std::string_view source,
                        std::string_view expected_header, std::size_t columns, RowFn row_fn) {
  std::vector<std::string> fields;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string where = std::string(source) + ":" + std::to_string(number);
    if (number == 1) {
      if (line != expected_header) {
        return base::InvalidArgument(where + ": expected the header '" +
                                     std::string(expected_header) + "'");
      }
      continue;
    }
    if (line.empty()) continue;
    if (!SplitCsv(line, &fields)) return base::InvalidArgument(where + ": unclosed quote");
    if (fields.size() != columns) {
      return base::InvalidArgument(where + ": expected " + std::to_string(columns) +
                                   " fields, got " + std::to_string(fields.size()));
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!IsValidUtf8(fields[i])) {
        return base::InvalidArgument(where + ": field " + std::to_string(i + 1) +
                                     " is not valid UTF-8");
      }
    }
    PROMOREC_RETURN_IF_ERROR(row_fn(fields, where));
  }
  if (number == 0) return base::InvalidArgument(std::string(source) + ": empty file");
  return {};
}

}  // namespace

base::Result<std::vector<Product>> ParseProductsCsv(std::string_view text,
                                                    std::string_view source) {
  std::vector<Product> products;
  auto status = ForEachRow(
      text, source, "product_id,name,category_id,category_name,price", 5,
      [&products](std::vector<std::string>& f, const std::string& where) -> base::Status {
        if (f[0].empty()) return base::InvalidArgument(where + ": empty product_id");
        double price = 0;
        const auto [ptr, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), price);
        if (ec != std::errc() || ptr != f[4].data() + f[4].size() || !std::isfinite(price) ||
            price < 0) {
          return base::InvalidArgument(where + ": price '" + f[4] + "' is not a number >= 0");
        }
        products.push_back(
            Product{std::move(f[0]), std::move(f[1]), std::move(f[2]), std::move(f[3]), price});
        return {};
      });
  if (!status) return std::unexpected(status.error());
  return products;
}

base::Result<std::vector<Promotion>> ParsePromotionsCsv(std::string_view text,
                                                        std::string_view source) {
  std::vector<Promotion> promotions;
  auto status = ForEachRow(
      text, source, "promotion_id,text", 2,
      [&promotions](std::vector<std::string>& f, const std::string& where) -> base::Status {
        if (f[0].empty()) return base::InvalidArgument(where + ": empty promotion_id");
        Promotion promotion;
        promotion.id = f[0];
        promotion.code = std::move(f[0]);
        promotion.text = std::move(f[1]);
        promotions.push_back(std::move(promotion));
        return {};
      });
  if (!status) return std::unexpected(status.error());
  return promotions;
}

}  // namespace promorec::event
