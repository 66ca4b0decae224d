// `promorec lake ls | schema | ddl`: what the data lake holds, its columns,
// and the SQL that makes it queryable in Athena/Hive or DuckDB. All three
// only read the catalog (DATA_DIR/catalog/, docs/formats/lake.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "promorec/app/commands.h"
#include "promorec/base/env.h"
#include "promorec/base/json_string.h"
#include "promorec/lake/catalog_format.h"
#include "promorec/lake/ddl.h"

namespace promorec::app {
namespace {

struct LakeOptions {
  std::string data_dir;
  bool json = false;
  bool duckdb = false;
  std::string location;
  std::vector<std::string> tables;
};

std::string CatalogDir(const LakeOptions& options) { return options.data_dir + "/catalog"; }

// The catalog entries the command is about: all, or the named ones in the
// order named. Prints the error and returns nothing on failure.
std::optional<std::vector<lake::TableCatalog>> LoadTables(const LakeOptions& options,
                                                          const char* command) {
  auto all = lake::ReadAllCatalogs(base::DefaultEnv(), CatalogDir(options));
  if (!all) {
    std::fprintf(stderr,
                 "promorec lake %s: %s\n(the catalog is rebuilt from the lake files when the "
                 "server next starts)\n",
                 command, all.error().ToString().c_str());
    return std::nullopt;
  }
  if (options.tables.empty()) return *std::move(all);
  std::vector<lake::TableCatalog> out;
  for (const std::string& name : options.tables) {
    bool found = false;
    for (const lake::TableCatalog& table : *all) {
      if (table.schema.name == name) {
        out.push_back(table);
        found = true;
      }
    }
    if (!found) {
      std::fprintf(stderr, "promorec lake %s: no table \"%s\" in %s\n", command, name.c_str(),
                   CatalogDir(options).c_str());
      return std::nullopt;
    }
  }
  return out;
}

void AppendStats(const lake::PartitionStats& stats, std::string* out) {
  *out += "\"files\":" + std::to_string(stats.files) +
          ",\"records\":" + std::to_string(stats.records) +
          ",\"bytes\":" + std::to_string(stats.bytes);
}

std::string LsJson(const std::vector<lake::TableCatalog>& tables) {
  std::string out = "{\"tables\":[";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const lake::TableCatalog& t = tables[i];
    if (i > 0) out += ",";
    out += "{\"name\":";
    base::AppendJsonString(t.schema.name, &out);
    out += ",\"doc\":";
    base::AppendJsonString(t.schema.doc, &out);
    out += ",\"commit\":" + std::to_string(t.commit) + ",";
    AppendStats(t.Totals(), &out);
    out += ",\"partitions\":[";
    bool first = true;
    for (const auto& [path, stats] : t.partitions) {
      if (!first) out += ",";
      first = false;
      // path is year=YYYY/month=MM/day=DD/hour=HH (checked by the parser).
      out += "{\"path\":\"" + path + "\",\"year\":\"" + path.substr(5, 4) + "\",\"month\":\"" +
             path.substr(16, 2) + "\",\"day\":\"" + path.substr(23, 2) + "\",\"hour\":\"" +
             path.substr(31, 2) + "\",";
      AppendStats(stats, &out);
      out += "}";
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

std::string LsText(const std::vector<lake::TableCatalog>& tables) {
  std::string out;
  for (const lake::TableCatalog& t : tables) {
    const lake::PartitionStats total = t.Totals();
    char line[256];
    std::snprintf(line, sizeof line, "%s: %zu partitions, %llu files, %llu records, %llu bytes\n",
                  t.schema.name.c_str(), t.partitions.size(),
                  static_cast<unsigned long long>(total.files),
                  static_cast<unsigned long long>(total.records),
                  static_cast<unsigned long long>(total.bytes));
    out += line;
    for (const auto& [path, stats] : t.partitions) {
      std::snprintf(line, sizeof line, "  %s  %6llu files  %10llu records  %12llu bytes\n",
                    path.c_str(), static_cast<unsigned long long>(stats.files),
                    static_cast<unsigned long long>(stats.records),
                    static_cast<unsigned long long>(stats.bytes));
      out += line;
    }
  }
  return out;
}

int RunLs(const LakeOptions& options) {
  auto tables = LoadTables(options, "ls");
  if (!tables) return kExitFailure;
  if (options.json) {
    const std::string out = LsJson(*tables);
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (tables->empty()) {
    std::printf("no lake tables in %s\n", CatalogDir(options).c_str());
  } else {
    std::fputs(LsText(*tables).c_str(), stdout);
  }
  return kExitOk;
}

int RunSchema(const LakeOptions& options) {
  auto tables = LoadTables(options, "schema");
  if (!tables) return kExitFailure;
  std::string out;
  if (options.json) {
    out = "{\"tables\":[";
    for (std::size_t i = 0; i < tables->size(); ++i) {
      const lake::TableSchema& s = (*tables)[i].schema;
      if (i > 0) out += ",";
      out += "{\"name\":";
      base::AppendJsonString(s.name, &out);
      out += ",\"doc\":";
      base::AppendJsonString(s.doc, &out);
      out += ",\"columns\":[";
      for (std::size_t j = 0; j < s.columns.size(); ++j) {
        if (j > 0) out += ",";
        out += "{\"name\":";
        base::AppendJsonString(s.columns[j].name, &out);
        out +=
            ",\"type\":\"" + std::string(lake::ColumnTypeName(s.columns[j].type)) + "\",\"doc\":";
        base::AppendJsonString(s.columns[j].doc, &out);
        out += "}";
      }
      out += "]}";
    }
    out += "]}\n";
  } else {
    for (const lake::TableCatalog& t : *tables) {
      out += t.schema.name + (t.schema.doc.empty() ? "" : ": " + t.schema.doc) + "\n";
      for (const lake::Column& c : t.schema.columns) {
        char line[160];
        std::snprintf(line, sizeof line, "  %-24s %-10s ", c.name.c_str(),
                      std::string(lake::ColumnTypeName(c.type)).c_str());
        out += line + c.doc + "\n";
      }
      out += "  (partitioned by year, month, day, hour)\n";
    }
    if (tables->empty()) out = "no lake tables in " + CatalogDir(options) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunDdl(const LakeOptions& options) {
  auto tables = LoadTables(options, "ddl");
  if (!tables) return kExitFailure;
  if (tables->empty()) {
    std::fprintf(stderr, "promorec lake ddl: no lake tables in %s\n", CatalogDir(options).c_str());
    return kExitOk;
  }
  std::string location = options.location;
  if (location.empty()) {
    const std::filesystem::path lake_dir =
        std::filesystem::absolute(std::filesystem::path(options.data_dir) / "lake")
            .lexically_normal();
    location = options.duckdb ? lake_dir.string() : "file://" + lake_dir.string();
  }
  const std::string out =
      options.duckdb ? lake::DuckDbDdl(*tables, location) : lake::AthenaDdl(*tables, location);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace

void RegisterLakeCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<LakeOptions>();
  CLI::App* command =
      app.add_subcommand("lake", "the data lake: tables, partitions, columns, and SQL to query it");
  command->require_subcommand(1);
  AddDataDirOption(*command, &options->data_dir);
  CLI::App* ls = command->add_subcommand(
      "ls", "tables and partitions with their file, record and byte counts");
  CLI::App* schema = command->add_subcommand("schema", "the columns of each table");
  CLI::App* ddl = command->add_subcommand(
      "ddl",
      "CREATE EXTERNAL TABLE statements for Athena/Hive (default) or CREATE VIEW statements for "
      "DuckDB (--duckdb)");
  for (CLI::App* sub : {ls, schema, ddl}) {
    sub->add_option("--data-dir", options->data_dir, "data directory")->capture_default_str();
  }
  for (CLI::App* sub : {ls, schema}) {
    sub->add_flag("--json", options->json, "print the result as one JSON object");
  }
  schema->add_option("tables", options->tables, "tables to show (default: all)");
  ddl->add_option("tables", options->tables, "tables to print (default: all)");
  ddl->add_flag("--duckdb", options->duckdb,
                "print DuckDB views over read_csv instead of Athena/Hive tables");
  ddl->add_option("--location", options->location,
                  "where readers find the lake folder: a URI such as s3://bucket/lake for "
                  "Athena (default file:// + the absolute DATA_DIR/lake), a folder or URL for "
                  "DuckDB (default the absolute DATA_DIR/lake)");
  ls->callback([options, &result] { result.exit_code = RunLs(*options); });
  schema->callback([options, &result] { result.exit_code = RunSchema(*options); });
  ddl->callback([options, &result] { result.exit_code = RunDdl(*options); });
}

}  // namespace promorec::app
