#include "promorec/lake/ddl.h"

#include <string>

namespace promorec::lake {

namespace {

constexpr std::string_view kPartitionColumns[] = {"year", "month", "day", "hour"};

std::string_view TrimSlash(std::string_view location) {
  while (location.size() > 1 && location.back() == '/') location.remove_suffix(1);
  return location;
}

// A Hive string literal: backslash escapes; line breaks become spaces.
std::string HiveString(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n' || c == '\r') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  out += "'";
  return out;
}

// A standard SQL string literal (DuckDB): quotes doubled.
std::string SqlString(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out += "'";
  return out;
}

// A DuckDB identifier. Names are [a-z0-9_], so quoting only guards
// against reserved words.
std::string Ident(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::string AthenaDdl(const std::vector<TableCatalog>& tables, std::string_view location) {
  const std::string_view base = TrimSlash(location);
  std::string out;
  for (const TableCatalog& table : tables) {
    const std::string& name = table.schema.name;
    out += "CREATE EXTERNAL TABLE IF NOT EXISTS `" + name + "` (\n";
    for (std::size_t i = 0; i < table.schema.columns.size(); ++i) {
      const Column& column = table.schema.columns[i];
      std::string doc = column.doc;
      std::string_view type = ColumnTypeName(column.type);
      if (column.type == ColumnType::kTimestamp) {
        type = "string";
        doc += (doc.empty() ? "" : " ");
        doc += "(ISO-8601 UTC timestamp; read with from_iso8601_timestamp)";
      }
      out += "  `" + column.name + "` " + std::string(type) + " COMMENT " + HiveString(doc);
      out += i + 1 < table.schema.columns.size() ? ",\n" : "\n";
    }
    out += ")\n";
    if (!table.schema.doc.empty()) out += "COMMENT " + HiveString(table.schema.doc) + "\n";
    out += "PARTITIONED BY (year string, month string, day string, hour string)\n";
    out += "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\n";
    out += "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"')\n";
    out += "STORED AS TEXTFILE\n";
    out += "LOCATION " + HiveString(std::string(base) + "/" + name + "/") + "\n";
    out += "TBLPROPERTIES ('skip.header.line.count'='1');\n";
    out += "MSCK REPAIR TABLE `" + name + "`;\n\n";
  }
  return out;
}

std::string DuckDbDdl(const std::vector<TableCatalog>& tables, std::string_view location) {
  const std::string_view base = TrimSlash(location);
  std::string out;
  for (const TableCatalog& table : tables) {
    const std::string& name = table.schema.name;
    if (!table.schema.doc.empty()) out += "-- " + name + ": " + OneLine(table.schema.doc) + "\n";
    for (const Column& column : table.schema.columns) {
      out += "--   " + column.name + " " + std::string(ColumnTypeName(column.type)) + ": " +
             OneLine(column.doc) + "\n";
    }
    out += "CREATE OR REPLACE VIEW " + Ident(name) + " AS ";
    if (table.Totals().files == 0) {
      // read_csv cannot bind a pattern that matches no file yet.
      out += "SELECT ";
      for (const Column& column : table.schema.columns) {
        out += "CAST(NULL AS " + std::string(DuckDbTypeName(column.type)) + ") AS " +
               Ident(column.name) + ", ";
      }
      for (std::size_t i = 0; i < 4; ++i) {
        out += "CAST(NULL AS VARCHAR) AS " + Ident(kPartitionColumns[i]);
        out += i < 3 ? ", " : " WHERE false;\n\n";
      }
      continue;
    }
    out += "SELECT * FROM read_csv(" +
           SqlString(std::string(base) + "/" + name + "/*/*/*/*/*.csv.gz") +
           ", header = true, hive_partitioning = true, auto_detect = false, delim = ',', "
           "quote = '\"', escape = '\"', allow_quoted_nulls = false, compression = 'gzip', "
           "hive_types = {'year': 'VARCHAR', 'month': 'VARCHAR', 'day': 'VARCHAR', "
           "'hour': 'VARCHAR'}, columns = {";
    for (std::size_t i = 0; i < table.schema.columns.size(); ++i) {
      const Column& column = table.schema.columns[i];
      if (i > 0) out += ", ";
      out += SqlString(column.name) + ": " + SqlString(DuckDbTypeName(column.type));
    }
    out += "});\n\n";
  }
  return out;
}

}  // namespace promorec::lake
