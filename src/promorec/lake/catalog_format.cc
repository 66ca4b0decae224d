#include "promorec/lake/catalog_format.h"

#include <charconv>
#include <string>
#include <utility>

#include "promorec/base/crc32c.h"
#include "promorec/lake/partition.h"

namespace promorec::lake {

namespace {

constexpr std::string_view kMagicLine = "promorec-lake-catalog 1";
constexpr std::string_view kMagicPrefix = "promorec-lake-catalog ";

void AppendEscaped(std::string_view text, std::string* out) {
  for (const char c : text) {
    if (c == '%') {
      out->append("%25");
    } else if (c == '\n') {
      out->append("%0A");
    } else if (c == '\r') {
      out->append("%0D");
    } else {
      out->push_back(c);
    }
  }
}

std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') return std::nullopt;
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const std::string_view code = text.substr(i + 1, 2);
    if (code == "25") {
      out.push_back('%');
    } else if (code == "0A") {
      out.push_back('\n');
    } else if (code == "0D") {
      out.push_back('\r');
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

std::string Hex8(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
    v >>= 4;
  }
  return out;
}

std::optional<std::uint64_t> ParseNumber(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

// Splits "key rest" at the first space; no space gives an empty rest and
// has_rest false.
struct KeyRest {
  std::string_view key;
  std::string_view rest;
  bool has_rest = false;
};
KeyRest SplitKey(std::string_view line) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}, false};
  return {line.substr(0, space), line.substr(space + 1), true};
}

std::unexpected<base::Error> LineError(std::size_t line_no, std::string_view why) {
  return base::Corruption("catalog line " + std::to_string(line_no) + ": " + std::string(why));
}

}  // namespace

PartitionStats TableCatalog::Totals() const {
  PartitionStats total;
  for (const auto& [path, stats] : partitions) {
    total.files += stats.files;
    total.records += stats.records;
    total.bytes += stats.bytes;
  }
  return total;
}

std::string EncodeCatalog(const TableCatalog& catalog) {
  std::string out(kMagicLine);
  out += "\ntable " + catalog.schema.name + "\ndoc ";
  AppendEscaped(catalog.schema.doc, &out);
  out += "\ncommit " + std::to_string(catalog.commit) + "\n";
  for (const Column& column : catalog.schema.columns) {
    out += "column " + column.name + " " + std::string(ColumnTypeName(column.type)) + " ";
    AppendEscaped(column.doc, &out);
    out += "\n";
  }
  for (const auto& [path, stats] : catalog.partitions) {
    out += "partition " + path + " " + std::to_string(stats.files) + " " +
           std::to_string(stats.records) + " " + std::to_string(stats.bytes) + "\n";
  }
  out += "crc " + Hex8(base::Crc32cMask(base::Crc32c(out))) + "\n";
  return out;
}

base::Result<TableCatalog> DecodeCatalog(std::string_view text) {
  if (text.substr(0, kMagicPrefix.size()) != kMagicPrefix) {
    return base::Corruption("not a lake catalog entry (no promorec-lake-catalog line)");
  }
  const std::size_t first_end = text.find('\n');
  const std::string_view first = text.substr(0, first_end);
  if (first != kMagicLine) {
    return base::Corruption("catalog format version \"" +
                            std::string(first.substr(kMagicPrefix.size(), 20)) +
                            "\" is not supported (expected 1)");
  }
  if (text.empty() || text.back() != '\n') {
    return base::Corruption("catalog does not end with a line feed (cut short?)");
  }
  const std::size_t crc_start = text.rfind('\n', text.size() - 2) + 1;
  const std::string_view crc_line = text.substr(crc_start, text.size() - 1 - crc_start);
  if (crc_start == 0 || crc_line.substr(0, 4) != "crc ") {
    return base::Corruption("catalog has no crc line at its end");
  }
  const std::string_view stored_hex = crc_line.substr(4);
  std::uint32_t stored = 0;
  const auto [ptr, ec] =
      std::from_chars(stored_hex.data(), stored_hex.data() + stored_hex.size(), stored, 16);
  if (stored_hex.size() != 8 || ec != std::errc() || ptr != stored_hex.data() + 8) {
    return base::Corruption("catalog crc line: expected 8 hex digits");
  }
  const std::uint32_t computed = base::Crc32c(text.substr(0, crc_start));
  if (base::Crc32cUnmask(stored) != computed) {
    return base::Corruption("catalog checksum mismatch: stored " +
                            Hex8(base::Crc32cUnmask(stored)) + ", computed " + Hex8(computed));
  }

  TableCatalog catalog;
  enum class Stage { kTable, kDoc, kCommit, kColumns, kPartitions } stage = Stage::kTable;
  std::size_t pos = first_end + 1;
  std::size_t line_no = 1;
  while (pos < crc_start) {
    const std::size_t end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const KeyRest kr = SplitKey(line);
    switch (stage) {
      case Stage::kTable:
        if (kr.key != "table" || !IsValidName(kr.rest)) {
          return LineError(line_no, "expected \"table <name>\" with a valid table name");
        }
        catalog.schema.name = std::string(kr.rest);
        stage = Stage::kDoc;
        break;
      case Stage::kDoc: {
        if (kr.key != "doc" || !kr.has_rest) return LineError(line_no, "expected \"doc <text>\"");
        auto doc = Unescape(kr.rest);
        if (!doc) return LineError(line_no, "bad %-escape or carriage return in the doc text");
        catalog.schema.doc = *std::move(doc);
        stage = Stage::kCommit;
        break;
      }
      case Stage::kCommit: {
        const auto commit = kr.key == "commit" ? ParseNumber(kr.rest) : std::nullopt;
        if (!commit) return LineError(line_no, "expected \"commit <number>\"");
        catalog.commit = *commit;
        stage = Stage::kColumns;
        break;
      }
      case Stage::kColumns:
      case Stage::kPartitions:
        if (kr.key == "column") {
          if (stage == Stage::kPartitions) {
            return LineError(line_no, "a column line after the partition lines");
          }
          const KeyRest name = SplitKey(kr.rest);
          const KeyRest type = SplitKey(name.rest);
          if (!IsValidName(name.key) || !type.has_rest) {
            return LineError(line_no, "expected \"column <name> <type> <doc>\"");
          }
          const auto parsed_type = ParseColumnType(type.key);
          if (!parsed_type) {
            return LineError(line_no,
                             "unknown column type \"" + std::string(type.key.substr(0, 20)) + "\"");
          }
          auto doc = Unescape(type.rest);
          if (!doc) return LineError(line_no, "bad %-escape or carriage return in the doc text");
          catalog.schema.columns.push_back(
              Column{std::string(name.key), *parsed_type, *std::move(doc)});
        } else if (kr.key == "partition") {
          if (catalog.schema.columns.empty()) {
            return LineError(line_no, "a partition line before any column line");
          }
          stage = Stage::kPartitions;
          const KeyRest path = SplitKey(kr.rest);
          const KeyRest files = SplitKey(path.rest);
          const KeyRest records = SplitKey(files.rest);
          const auto n_files = ParseNumber(files.key);
          const auto n_records = ParseNumber(records.key);
          const auto n_bytes = records.has_rest ? ParseNumber(records.rest) : std::nullopt;
          if (!n_files || !n_records || !n_bytes) {
            return LineError(line_no, "expected \"partition <path> <files> <records> <bytes>\"");
          }
          if (!ParsePartitionPath(path.key)) {
            return LineError(
                line_no, "\"" + std::string(path.key.substr(0, 40)) + "\" is not a partition path");
          }
          if (!catalog.partitions.empty() && catalog.partitions.rbegin()->first >= path.key) {
            return LineError(line_no, "partitions are not in increasing order");
          }
          catalog.partitions.emplace(std::string(path.key),
                                     PartitionStats{*n_files, *n_records, *n_bytes});
        } else {
          return LineError(line_no, "expected a column or partition line");
        }
        break;
    }
  }
  if (catalog.schema.columns.empty()) {
    return base::Corruption("catalog is incomplete: it has no column lines");
  }
  if (base::Status valid = ValidateSchema(catalog.schema); !valid) {
    return base::Corruption("catalog schema: " + valid.error().message());
  }
  return catalog;
}

std::string CatalogPath(std::string_view catalog_dir, std::string_view table) {
  std::string out(catalog_dir);
  out += '/';
  out += table;
  out += ".catalog";
  return out;
}

base::Result<std::optional<TableCatalog>> ReadCatalog(base::Env& env, std::string_view catalog_dir,
                                                      std::string_view table) {
  const std::string path = CatalogPath(catalog_dir, table);
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (!exists) return std::optional<TableCatalog>();
  PROMOREC_ASSIGN_OR_RETURN(const std::string text, base::ReadFileToString(env, path));
  auto catalog = DecodeCatalog(text);
  if (!catalog) return std::unexpected(std::move(catalog).error().WithContext(path));
  if (catalog->schema.name != table) {
    return base::Corruption(path + ": holds table \"" + catalog->schema.name + "\"");
  }
  return std::optional<TableCatalog>(*std::move(catalog));
}

base::Status WriteCatalog(base::Env& env, std::string_view catalog_dir,
                          const TableCatalog& catalog) {
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(std::string(catalog_dir)));
  return base::WriteFileAtomically(env, CatalogPath(catalog_dir, catalog.schema.name),
                                   EncodeCatalog(catalog));
}

base::Result<std::vector<TableCatalog>> ReadAllCatalogs(base::Env& env,
                                                        std::string_view catalog_dir) {
  std::vector<TableCatalog> out;
  const std::string dir(catalog_dir);
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(dir));
  if (!exists) return out;
  PROMOREC_ASSIGN_OR_RETURN(const std::vector<std::string> names, env.ListDir(dir));
  constexpr std::string_view kSuffix = ".catalog";
  for (const std::string& name : names) {
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    const std::string table = name.substr(0, name.size() - kSuffix.size());
    if (!IsValidName(table)) continue;
    PROMOREC_ASSIGN_OR_RETURN(auto catalog, ReadCatalog(env, catalog_dir, table));
    if (catalog) out.push_back(*std::move(catalog));
  }
  return out;
}

}  // namespace promorec::lake
