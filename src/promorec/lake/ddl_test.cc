#include "promorec/lake/ddl.h"

#include <gtest/gtest.h>

#include <string>

namespace promorec::lake {
namespace {

std::vector<TableCatalog> Tables() {
  TableCatalog clicks;
  clicks.schema = TableSchema{"clicks",
                              {{"user_id", ColumnType::kString, "the shopper's id"},
                               {"at", ColumnType::kTimestamp, "when"},
                               {"price", ColumnType::kDouble, "a \\ price"}},
                              "Every accepted click."};
  clicks.partitions["year=2026/month=12/day=07/hour=20"] = {1, 2, 3};
  TableCatalog empty;
  empty.schema = TableSchema{"examples", {{"label", ColumnType::kBoolean, ""}}, ""};
  return {clicks, empty};
}

TEST(DdlTest, Athena) {
  const std::string ddl = AthenaDdl(Tables(), "s3://bucket/lake/");
  EXPECT_EQ(ddl.substr(0, ddl.find("\n\n") + 2),
            "CREATE EXTERNAL TABLE IF NOT EXISTS `clicks` (\n"
            "  `user_id` string COMMENT 'the shopper\\'s id',\n"
            "  `at` string COMMENT 'when (ISO-8601 UTC timestamp; read with "
            "from_iso8601_timestamp)',\n"
            "  `price` double COMMENT 'a \\\\ price'\n"
            ")\n"
            "COMMENT 'Every accepted click.'\n"
            "PARTITIONED BY (year string, month string, day string, hour string)\n"
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\n"
            "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"')\n"
            "STORED AS TEXTFILE\n"
            "LOCATION 's3://bucket/lake/clicks/'\n"
            "TBLPROPERTIES ('skip.header.line.count'='1');\n"
            "MSCK REPAIR TABLE `clicks`;\n\n");
  EXPECT_NE(ddl.find("`label` boolean COMMENT ''"), std::string::npos);
  EXPECT_NE(ddl.find("MSCK REPAIR TABLE `examples`;"), std::string::npos);
}

TEST(DdlTest, DuckDb) {
  const std::string ddl = DuckDbDdl(Tables(), "/srv/data/lake");
  EXPECT_NE(
      ddl.find("CREATE OR REPLACE VIEW \"clicks\" AS SELECT * FROM "
               "read_csv('/srv/data/lake/clicks/*/*/*/*/*.csv.gz', header = true, "
               "hive_partitioning = true, auto_detect = false, delim = ',', quote = '\"', "
               "escape = '\"', allow_quoted_nulls = false, compression = 'gzip', hive_types = "
               "{'year': 'VARCHAR', 'month': 'VARCHAR', 'day': 'VARCHAR', 'hour': 'VARCHAR'}, "
               "columns = {'user_id': 'VARCHAR', 'at': 'TIMESTAMP', 'price': 'DOUBLE'});\n"),
      std::string::npos)
      << ddl;
  EXPECT_NE(ddl.find("-- clicks: Every accepted click.\n"), std::string::npos);
  // No files yet: the same columns, no rows.
  EXPECT_NE(ddl.find("CREATE OR REPLACE VIEW \"examples\" AS SELECT CAST(NULL AS BOOLEAN) AS "
                     "\"label\", CAST(NULL AS VARCHAR) AS \"year\", CAST(NULL AS VARCHAR) AS "
                     "\"month\", CAST(NULL AS VARCHAR) AS \"day\", CAST(NULL AS VARCHAR) AS "
                     "\"hour\" WHERE false;\n"),
            std::string::npos)
      << ddl;
  EXPECT_NE(DuckDbDdl(Tables(), "/it's").find("'/it''s/clicks/"), std::string::npos);
}

}  // namespace
}  // namespace promorec::lake
