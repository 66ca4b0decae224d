// The catalog entry of one lake table (`catalog/<table>.catalog`,
// docs/formats/lake.md "Catalog entry"): its schema and, per partition, how
// many files, records and bytes it holds, as of a commit. Encoding, the
// strict parser, and reading/writing the file through an Env.
// Thread-safety: values and pure functions; the file functions follow env.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/lake/schema.h"

namespace promorec::lake {

struct PartitionStats {
  std::uint64_t files = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;  // compressed, on disk

  friend bool operator==(const PartitionStats&, const PartitionStats&) = default;
};

struct TableCatalog {
  TableSchema schema;
  std::uint64_t commit = 0;  // the last commit included; 0 = none
  // Keyed by partition path ("year=2026/month=12/day=07/hour=20"), which
  // sorts by time.
  std::map<std::string, PartitionStats> partitions;

  PartitionStats Totals() const;

  friend bool operator==(const TableCatalog&, const TableCatalog&) = default;
};

std::string EncodeCatalog(const TableCatalog& catalog);
// Fails with kCorruption naming the line and what is wrong with it.
[[nodiscard]] base::Result<TableCatalog> DecodeCatalog(std::string_view text);

// `<catalog_dir>/<table>.catalog`.
std::string CatalogPath(std::string_view catalog_dir, std::string_view table);

// The entry of `table`, nullopt when there is none; a damaged entry is
// kCorruption with the path in the message.
[[nodiscard]] base::Result<std::optional<TableCatalog>> ReadCatalog(base::Env& env,
                                                                    std::string_view catalog_dir,
                                                                    std::string_view table);
// Replaces the entry atomically (temporary file, sync, rename, directory sync).
[[nodiscard]] base::Status WriteCatalog(base::Env& env, std::string_view catalog_dir,
                                        const TableCatalog& catalog);

// Every entry in `catalog_dir`, by table name; none when the folder is
// missing. The first damaged entry fails the whole call.
[[nodiscard]] base::Result<std::vector<TableCatalog>> ReadAllCatalogs(base::Env& env,
                                                                      std::string_view catalog_dir);

}  // namespace promorec::lake
