// SQL that makes the lake queryable where it lies: CREATE EXTERNAL TABLE
// statements for Athena/Hive (as Glue's crawler would have made) and
// CREATE VIEW statements over read_csv for DuckDB, from catalog entries
// (docs/formats/lake.md, "Readers").
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "promorec/lake/catalog_format.h"

namespace promorec::lake {

// For each table: CREATE EXTERNAL TABLE IF NOT EXISTS ... LOCATION
// '<location>/<table>/' with the OpenCSVSerde and one header line skipped,
// then MSCK REPAIR TABLE. `location` is a URI ("s3://bucket/lake",
// "file:///srv/promorec-data/lake"); a trailing '/' is ignored. Timestamp
// columns are declared string (OpenCSVSerde reads timestamps only as epoch
// milliseconds); their comment says how to convert them.
std::string AthenaDdl(const std::vector<TableCatalog>& tables, std::string_view location);

// For each table: CREATE OR REPLACE VIEW over read_csv of
// '<location>/<table>/*/*/*/*/*.csv.gz' with every column typed and the
// partition columns as VARCHAR; a table without files gets a view with the
// same columns and no rows.
std::string DuckDbDdl(const std::vector<TableCatalog>& tables, std::string_view location);

}  // namespace promorec::lake
