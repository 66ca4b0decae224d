#include "promorec/lake/catalog_format.h"

#include <gtest/gtest.h>

#include <string>

#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/testing/golden.h"

namespace promorec::lake {
namespace {

TableCatalog Sample() {
  TableCatalog catalog;
  catalog.schema = TableSchema{"clicks",
                               {{"id", ColumnType::kString, "The event's id; 100% unique\nreally"},
                                {"price", ColumnType::kDouble, ""},
                                {"at", ColumnType::kTimestamp, "when\r"}},
                               "Every accepted click."};
  catalog.commit = 42;
  catalog.partitions["year=2026/month=12/day=07/hour=20"] = {2, 10, 400};
  catalog.partitions["year=2027/month=01/day=01/hour=00"] = {1, 1, 99};
  return catalog;
}

TEST(CatalogFormatTest, RoundTrip) {
  const TableCatalog catalog = Sample();
  const std::string text = EncodeCatalog(catalog);
  auto decoded = DecodeCatalog(text);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, catalog);
  EXPECT_EQ(decoded->Totals(), (PartitionStats{3, 11, 499}));
  EXPECT_NE(text.find("column id string The event's id; 100%25 unique%0Areally\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("column price double \n"), std::string::npos);
}

TEST(CatalogFormatTest, AnyChangedByteIsCaught) {
  const std::string text = EncodeCatalog(Sample());
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string damaged = text;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    auto decoded = DecodeCatalog(damaged);
    EXPECT_FALSE(decoded.has_value()) << "byte " << i;
  }
}

TEST(CatalogFormatTest, FileReadWriteAndDamage) {
  auto env = base::NewMemEnv();
  EXPECT_FALSE(ReadCatalog(*env, "/c", "clicks").value().has_value());
  EXPECT_TRUE(ReadAllCatalogs(*env, "/c").value().empty());
  ASSERT_TRUE(WriteCatalog(*env, "/c", Sample()).has_value());
  EXPECT_EQ(ReadCatalog(*env, "/c", "clicks").value(), Sample());
  EXPECT_EQ(ReadAllCatalogs(*env, "/c").value().size(), 1u);
  ASSERT_TRUE(env->TruncateFile("/c/clicks.catalog", 30).has_value());
  auto damaged = ReadCatalog(*env, "/c", "clicks");
  ASSERT_FALSE(damaged.has_value());
  EXPECT_EQ(damaged.error().message(),
            "/c/clicks.catalog: catalog does not end with a line feed (cut short?)");
  EXPECT_FALSE(ReadAllCatalogs(*env, "/c").has_value());
}

TEST(CatalogFormatTest, AFailedWriteKeepsTheOldEntry) {
  auto mem = base::NewMemEnv();
  base::FaultInjectionEnv env(*mem);
  ASSERT_TRUE(WriteCatalog(env, "/c", Sample()).has_value());
  TableCatalog newer = Sample();
  newer.commit = 43;
  env.FailSyncs(true);
  EXPECT_FALSE(WriteCatalog(env, "/c", newer).has_value());
  env.ClearFaults();
  ASSERT_TRUE(env.DropUnsyncedData().has_value());
  EXPECT_EQ(ReadCatalog(env, "/c", "clicks").value()->commit, 42u);
}

std::string DescribeCatalog(const std::string& bytes) {
  auto catalog = DecodeCatalog(bytes);
  if (!catalog) return "error: " + catalog.error().message() + "\n";
  const PartitionStats total = catalog->Totals();
  return "ok: table " + catalog->schema.name + ", " +
         std::to_string(catalog->schema.columns.size()) + " columns, commit " +
         std::to_string(catalog->commit) + ", " + std::to_string(catalog->partitions.size()) +
         " partitions, " + std::to_string(total.files) + " files, " +
         std::to_string(total.records) + " records, " + std::to_string(total.bytes) + " bytes\n";
}

TEST(CatalogFormatTest, Corpus) {
  EXPECT_GE(promorec::testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/lake_catalog",
                                           ".catalog", DescribeCatalog),
            20);
}

}  // namespace
}  // namespace promorec::lake
