#include "promorec/lake/table_writer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/lake/lake_test_util.h"
#include "promorec/lake/partition.h"

namespace promorec::lake {
namespace {

using testing::LakeContents;
using testing::ReadLakeTable;

constexpr char kLake[] = "/d/lake";
constexpr char kCatalog[] = "/d/catalog";
constexpr std::int64_t kT0 = 1'796'674'503'123'456;  // 2026-12-07T20:15:03.123456Z

TableSchema Schema() {
  return TableSchema{"events",
                     {{"id", ColumnType::kString, "id"},
                      {"price", ColumnType::kDouble, "price"},
                      {"at", ColumnType::kTimestamp, "time"},
                      {"text", ColumnType::kString, "free text"}},
                     "test events"};
}

class TableWriterTest : public ::testing::Test {
 protected:
  base::Result<std::unique_ptr<TableWriter>> Open(WriterOptions options = {},
                                                  std::uint32_t shards = 1,
                                                  TableSchema schema = Schema()) {
    return TableWriter::Open(env_, &clock_, kLake, kCatalog, std::move(schema), shards, options);
  }
  static base::Status Add(TableWriter& writer, std::uint32_t shard, std::uint64_t seq,
                          std::int64_t t, const std::string& text = "x") {
    const std::string id = "r" + std::to_string(shard) + "-" + std::to_string(seq);
    const std::string at = std::to_string(t);
    const std::string_view fields[] = {id, "1.5", at, text};
    return writer.Add(shard, seq, t, fields);
  }
  LakeContents Lake() { return ReadLakeTable(*env_, kLake, "events", "id,price,at,text"); }
  std::size_t Rows() {
    std::size_t n = 0;
    for (const auto& [p, rows] : Lake().rows) n += rows.size();
    return n;
  }

  std::unique_ptr<base::Env> mem_ = base::NewMemEnv();
  base::FaultInjectionEnv fault_{*mem_};
  base::Env* env_ = &fault_;
  base::FakeClock clock_{kT0};
};

TEST_F(TableWriterTest, FilesHoldTheRecordsAsCsvUnderHourlyPartitions) {
  auto writer = Open();
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  EXPECT_EQ((*writer)->ResumePositions(), std::vector<std::uint64_t>{1});
  const std::string tricky = "say \"hi\", then\nnew line: Grüße 東京";
  ASSERT_TRUE(Add(**writer, 0, 1, kT0, tricky).has_value());
  ASSERT_TRUE(Add(**writer, 0, 2, kT0 + kHourUs, "").has_value());
  const std::string_view nulls[] = {"r0-3", "", "", "plain"};
  ASSERT_TRUE((*writer)->Add(0, 3, kT0, nulls).has_value());
  ASSERT_TRUE((*writer)->FlushAll().has_value());

  const LakeContents lake = Lake();
  EXPECT_TRUE(lake.problems.empty());
  EXPECT_TRUE(lake.temp_files.empty());
  const std::string hour20 = "year=2026/month=12/day=07/hour=20";
  const std::string hour21 = "year=2026/month=12/day=07/hour=21";
  ASSERT_EQ(lake.rows.size(), 2u);
  ASSERT_EQ(lake.rows.at(hour20).size(), 2u);
  EXPECT_EQ(lake.rows.at(hour20)[0],
            (std::vector<std::string>{"r0-1", "1.5", "2026-12-07T20:15:03.123456Z", tricky}));
  EXPECT_EQ(lake.rows.at(hour20)[1],
            (std::vector<std::string>{"r0-3", "<null>", "<null>", "plain"}));
  EXPECT_EQ(lake.rows.at(hour21)[0][3], "");  // the empty string, not NULL
  EXPECT_TRUE(env_->FileExists(std::string(kLake) + "/events/" + hour20 +
                               "/events-00000000000000000001.csv.gz")
                  .value());
  EXPECT_EQ((*writer)->ResumePositions(), std::vector<std::uint64_t>{4});

  const WriterStats stats = (*writer)->stats();
  EXPECT_EQ(stats.commits, 1u);
  EXPECT_EQ(stats.files_written, 2u);
  EXPECT_EQ(stats.records_written, 3u);
  EXPECT_EQ(stats.bytes_written,
            lake.bytes_per_partition.at(hour20) + lake.bytes_per_partition.at(hour21));
  EXPECT_EQ(stats.buffered_records, 0u);

  const TableCatalog& catalog = (*writer)->catalog();
  EXPECT_EQ(catalog.commit, 1u);
  EXPECT_EQ(catalog.partitions.at(hour20),
            (PartitionStats{1, 2, lake.bytes_per_partition.at(hour20)}));
  EXPECT_EQ(ReadCatalog(*env_, kCatalog, "events").value(), catalog);
}

TEST_F(TableWriterTest, FlushBySize) {
  WriterOptions options;
  options.max_buffer_bytes = 400;
  auto writer = Open(options);
  ASSERT_TRUE(writer.has_value());
  std::uint64_t seq = 0;
  while (!(*writer)->FlushIsDue()) {
    ASSERT_TRUE((*writer)->FlushDue().has_value());
    EXPECT_EQ(Rows(), 0u) << "nothing is written before the buffer is full";
    ASSERT_TRUE(Add(**writer, 0, ++seq, kT0).has_value());
  }
  EXPECT_GE((*writer)->stats().buffered_bytes, 400u);
  EXPECT_LT((*writer)->stats().buffered_bytes, 400u + 100u);
  ASSERT_TRUE((*writer)->FlushDue().has_value());
  EXPECT_EQ(Rows(), seq);
  EXPECT_EQ((*writer)->stats().buffered_bytes, 0u);
  EXPECT_FALSE((*writer)->FlushIsDue());
}

TEST_F(TableWriterTest, FlushByAgeOfTheOldestRecord) {
  WriterOptions options;
  options.max_age_us = 60'000'000;
  auto writer = Open(options);
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->FlushDue().has_value());  // nothing buffered: nothing to do
  ASSERT_TRUE(Add(**writer, 0, 1, kT0).has_value());
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(Add(**writer, 0, 2, kT0).has_value());
  clock_.Advance(std::chrono::seconds(29));
  ASSERT_TRUE((*writer)->FlushDue().has_value());
  EXPECT_EQ(Rows(), 0u);
  clock_.Advance(std::chrono::seconds(1));  // the first record is now 60 s old
  EXPECT_TRUE((*writer)->FlushIsDue());
  ASSERT_TRUE((*writer)->FlushDue().has_value());
  EXPECT_EQ(Rows(), 2u);
  // The age counts from the oldest record buffered after the flush.
  ASSERT_TRUE(Add(**writer, 0, 3, kT0).has_value());
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_FALSE((*writer)->FlushIsDue());
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE((*writer)->FlushIsDue());
}

TEST_F(TableWriterTest, DuplicatesAreIgnoredAndCounted) {
  {
    auto writer = Open({}, 2);
    ASSERT_TRUE(writer.has_value());
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      ASSERT_TRUE(Add(**writer, 0, seq, kT0).has_value());
    }
    ASSERT_TRUE(Add(**writer, 1, 7, kT0).has_value());
    ASSERT_TRUE(Add(**writer, 0, 2, kT0).has_value());  // buffered already
    EXPECT_EQ((*writer)->stats().duplicates_ignored, 1u);
    ASSERT_TRUE((*writer)->FlushAll().has_value());
    ASSERT_TRUE(Add(**writer, 0, 3, kT0).has_value());  // in the lake already
    EXPECT_EQ((*writer)->stats().duplicates_ignored, 2u);
    EXPECT_EQ((*writer)->stats().buffered_records, 0u);
  }
  auto writer = Open({}, 2);
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ((*writer)->ResumePositions(), (std::vector<std::uint64_t>{4, 8}));
  for (std::uint64_t seq = 1; seq <= 4; ++seq) ASSERT_TRUE(Add(**writer, 0, seq, kT0).has_value());
  EXPECT_EQ((*writer)->stats().duplicates_ignored, 3u);
  ASSERT_TRUE((*writer)->FlushAll().has_value());
  EXPECT_EQ(Rows(), 5u);
}

TEST_F(TableWriterTest, RecordsThatDoNotFitAreRejected) {
  auto writer = Open();
  ASSERT_TRUE(writer.has_value());
  const std::string_view short_record[] = {"a", "1"};
  auto st = (*writer)->Add(0, 1, kT0, short_record);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(), "lake table events: record has 2 fields, the table 4 columns");
  const std::string_view bad_price[] = {"a", "cheap", "1", "t"};
  st = (*writer)->Add(0, 1, kT0 + 5 * kHourUs, bad_price);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(),
            "lake table events column price: \"cheap\" is not a finite double");
  EXPECT_EQ((*writer)->Add(3, 1, kT0, bad_price).error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ((*writer)->Add(0, 0, kT0, bad_price).error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ((*writer)->stats().records_rejected, 2u);
  // A rejected sequence number is not taken: the same record, fixed, goes in.
  ASSERT_TRUE(Add(**writer, 0, 1, kT0).has_value());
  ASSERT_TRUE((*writer)->FlushAll().has_value());
  const LakeContents lake = Lake();
  EXPECT_EQ(lake.rows.size(), 1u) << "no file for the partition of the rejected record";
  EXPECT_EQ(Rows(), 1u);
}

TEST_F(TableWriterTest, AFailedFlushKeepsTheRecordsForTheNextOne) {
  auto writer = Open();
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE(Add(**writer, 0, 1, kT0).has_value());
  ASSERT_TRUE(Add(**writer, 0, 2, kT0 + kHourUs).has_value());
  fault_.FailSyncs(true);
  auto st = (*writer)->FlushAll();
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().message().find("injected fsync failure"), std::string::npos);
  EXPECT_EQ((*writer)->stats().flush_failures, 1u);
  EXPECT_EQ((*writer)->stats().buffered_records, 2u);
  EXPECT_EQ((*writer)->ResumePositions(), std::vector<std::uint64_t>{1});
  EXPECT_EQ(Rows(), 0u);
  EXPECT_TRUE(Lake().temp_files.empty()) << "the failed flush removes its temporary files";
  fault_.ClearFaults();
  ASSERT_TRUE(Add(**writer, 0, 3, kT0).has_value());
  ASSERT_TRUE((*writer)->FlushAll().has_value());
  EXPECT_EQ(Rows(), 3u);
  EXPECT_EQ((*writer)->ResumePositions(), std::vector<std::uint64_t>{4});
}

TEST_F(TableWriterTest, AddPushesBackWhileFlushesFail) {
  WriterOptions options;
  options.max_buffer_bytes = 100;
  options.max_held_bytes = 300;
  auto writer = Open(options);
  ASSERT_TRUE(writer.has_value());
  fault_.FailSyncs(true);
  std::uint64_t seq = 0;
  base::Status st;
  while ((st = Add(**writer, 0, ++seq, kT0)).has_value()) {
    EXPECT_FALSE((*writer)->FlushDue().has_value() && (*writer)->FlushIsDue());
    ASSERT_LT(seq, 100u);
  }
  EXPECT_EQ(st.error().code(), base::Code::kUnavailable);
  fault_.ClearFaults();
  ASSERT_TRUE((*writer)->FlushDue().has_value());
  ASSERT_TRUE(Add(**writer, 0, seq, kT0).has_value());  // the refused record, again
  ASSERT_TRUE((*writer)->FlushAll().has_value());
  EXPECT_EQ(Rows(), seq);
}

TEST_F(TableWriterTest, TheJournalStaysSmall) {
  WriterOptions options;
  options.journal_compact_bytes = 300;
  auto writer = Open(options);
  ASSERT_TRUE(writer.has_value());
  const std::string journal = std::string(kLake) + "/events/_journal";
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    ASSERT_TRUE(
        Add(**writer, 0, seq, kT0 + static_cast<std::int64_t>(seq % 3) * kHourUs).has_value());
    ASSERT_TRUE((*writer)->FlushAll().has_value());
    EXPECT_LE(env_->FileSize(journal).value(), 300u + 100u);
  }
  EXPECT_GE((*writer)->stats().journal_compactions, 5u);
  writer->reset();
  auto reopened = Open(options);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->ResumePositions(), std::vector<std::uint64_t>{41});
  EXPECT_EQ((*reopened)->catalog().Totals().records, 40u);
  EXPECT_EQ((*reopened)->stats().catalog_rebuilds, 0u);
}

TEST_F(TableWriterTest, ADamagedJournalStopsTheOpen) {
  {
    auto writer = Open();
    ASSERT_TRUE(writer.has_value());
    for (std::uint64_t seq = 1; seq <= 2; ++seq) {
      ASSERT_TRUE(Add(**writer, 0, seq, kT0).has_value());
      ASSERT_TRUE((*writer)->FlushAll().has_value());
    }
  }
  const std::string journal = std::string(kLake) + "/events/_journal";
  const std::string good = base::ReadFileToString(*env_, journal).value();
  const std::size_t first_commit =
      EncodeJournalHeader("events").size() + EncodeSnapshotRecord({1, {0}}).size();
  std::string bytes = good;
  bytes[first_commit + 20] ^= 0x10;  // inside the first COMMIT; the second follows
  ASSERT_TRUE(base::WriteFileAtomically(*env_, journal, bytes).has_value());
  auto writer = Open();
  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().code(), base::Code::kCorruption);
  EXPECT_NE(
      writer.error().message().find("/d/lake/events/_journal: journal record at byte " +
                                    std::to_string(first_commit) + ": checksum mismatch with"),
      std::string::npos)
      << writer.error().message();
  // Damage to the last record reads as a torn tail, but the data files of
  // the commit it held give it away.
  bytes = good;
  bytes[bytes.size() - 3] ^= 0x10;
  ASSERT_TRUE(base::WriteFileAtomically(*env_, journal, bytes).has_value());
  writer = Open();
  ASSERT_FALSE(writer.has_value());
  EXPECT_NE(writer.error().message().find("data file of commit 2, which the journal does not hold"),
            std::string::npos)
      << writer.error().message();
  // The data files are untouched.
  EXPECT_EQ(Rows(), 2u);
}

TEST_F(TableWriterTest, ALostJournalIsNotMistakenForAnEmptyTable) {
  {
    auto writer = Open();
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE(Add(**writer, 0, 1, kT0).has_value());
    ASSERT_TRUE((*writer)->FlushAll().has_value());
  }
  ASSERT_TRUE(env_->RemoveFile(std::string(kLake) + "/events/_journal").has_value());
  auto writer = Open();
  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().code(), base::Code::kCorruption);
  EXPECT_NE(writer.error().message().find(
                "events-00000000000000000001.csv.gz: data file of commit 1, which the journal "
                "does not hold"),
            std::string::npos)
      << writer.error().message();
}

TEST_F(TableWriterTest, AMissingCommittedFileIsDataLoss) {
  // Stop the process at the rename of the first data file, then lose that
  // file before the restart.
  for (std::uint64_t k = 1;; ++k) {
    auto mem = base::NewMemEnv();
    testing::StepEnv steps(*mem);
    steps.Arm(testing::StepEnv::Mode::kCrash, k);
    {
      auto writer = TableWriter::Open(&steps, &clock_, kLake, kCatalog, Schema(), 1, {});
      if (writer) {
        (void)Add(**writer, 0, 1, kT0);
        (void)(*writer)->FlushAll();
      }
    }
    ASSERT_TRUE(steps.fired()) << "no rename happened";
    if (!steps.fired_what().starts_with("rename ") ||
        !steps.fired_what().ends_with(".csv.gz.tmp")) {
      continue;
    }
    const std::string temp = steps.fired_what().substr(7);
    ASSERT_TRUE(mem->RemoveFile(temp).has_value());
    auto writer = TableWriter::Open(mem.get(), &clock_, kLake, kCatalog, Schema(), 1, {});
    ASSERT_FALSE(writer.has_value());
    EXPECT_EQ(writer.error().code(), base::Code::kDataLoss);
    EXPECT_NE(writer.error().message().find(
                  "events-00000000000000000001.csv.gz: committed data file is missing (commit 1, "
                  "1 records)"),
              std::string::npos)
        << writer.error().message();
    break;
  }
}

TEST_F(TableWriterTest, ADamagedOrMissingCatalogIsRebuiltFromTheFiles) {
  TableCatalog expected;
  {
    auto writer = Open({}, 1);
    ASSERT_TRUE(writer.has_value());
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
      ASSERT_TRUE(Add(**writer, 0, seq, kT0 + static_cast<std::int64_t>(seq % 2) * kHourUs,
                      "line\nbreak, \"q\"")
                      .has_value());
      if (seq % 2 == 0) {
        ASSERT_TRUE((*writer)->FlushAll().has_value());
      }
    }
    ASSERT_TRUE((*writer)->FlushAll().has_value());
    expected = (*writer)->catalog();
  }
  const std::string path = CatalogPath(kCatalog, "events");
  ASSERT_TRUE(env_->TruncateFile(path, 40).has_value());
  {
    auto writer = Open();
    ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
    EXPECT_EQ((*writer)->stats().catalog_rebuilds, 1u);
    EXPECT_EQ((*writer)->catalog(), expected);
  }
  EXPECT_EQ(ReadCatalog(*env_, kCatalog, "events").value(), expected);
  ASSERT_TRUE(env_->RemoveFile(path).has_value());
  auto writer = Open();
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ((*writer)->stats().catalog_rebuilds, 1u);
  EXPECT_EQ((*writer)->catalog(), expected);
}

TEST_F(TableWriterTest, ColumnsCannotChangeUnderExistingFiles) {
  {
    auto writer = Open();
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE(Add(**writer, 0, 1, kT0).has_value());
    ASSERT_TRUE((*writer)->FlushAll().has_value());
  }
  TableSchema changed = Schema();
  changed.columns.push_back({"extra", ColumnType::kBigint, ""});
  auto refused = Open({}, 1, changed);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), base::Code::kFailedPrecondition);
  EXPECT_NE(refused.error().message().find(
                "the table has files with columns (id string, price double, at timestamp, text "
                "string) but is opened with columns (id string, price double, at timestamp, text "
                "string, extra bigint)"),
            std::string::npos)
      << refused.error().message();
  // Docs may change; the catalog follows.
  TableSchema redocumented = Schema();
  redocumented.columns[0].doc = "the record's id";
  auto writer = Open({}, 1, redocumented);
  ASSERT_TRUE(writer.has_value());
  EXPECT_EQ(ReadCatalog(*env_, kCatalog, "events").value()->schema.columns[0].doc,
            "the record's id");
}

TEST_F(TableWriterTest, OneWriterPerTable) {
  auto first = Open();
  ASSERT_TRUE(first.has_value());
  auto second = Open();
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), base::Code::kUnavailable);
}

TEST_F(TableWriterTest, ShardsMayBeAddedButNotDroppedWithData) {
  {
    auto writer = Open({}, 2);
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE(Add(**writer, 1, 5, kT0).has_value());
    ASSERT_TRUE((*writer)->FlushAll().has_value());
  }
  {
    auto writer = Open({}, 3);
    ASSERT_TRUE(writer.has_value());
    EXPECT_EQ((*writer)->ResumePositions(), (std::vector<std::uint64_t>{1, 6, 1}));
  }
  auto writer = Open({}, 1);
  ASSERT_FALSE(writer.has_value());
  EXPECT_EQ(writer.error().code(), base::Code::kFailedPrecondition);
}

TEST(TableWriterOnDiskTest, WritesAndRecoversOnARealFileSystem) {
  char dir_template[] = "/tmp/promorec-lake-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string root = dir_template;
  base::Env& env = base::DefaultEnv();
  base::FakeClock clock(kT0);
  {
    auto writer =
        TableWriter::Open(&env, &clock, root + "/lake", root + "/catalog", Schema(), 1, {});
    ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
    const std::string_view fields[] = {"a", "2", "5", "x,y"};
    ASSERT_TRUE((*writer)->Add(0, 1, kT0, fields).has_value());
    ASSERT_TRUE((*writer)->FlushAll().has_value());
    ASSERT_TRUE((*writer)->Add(0, 2, kT0, fields).has_value());  // never flushed
  }
  auto writer = TableWriter::Open(&env, &clock, root + "/lake", root + "/catalog", Schema(), 1, {});
  ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
  EXPECT_EQ((*writer)->ResumePositions(), std::vector<std::uint64_t>{2});
  const LakeContents lake = ReadLakeTable(env, root + "/lake", "events", "id,price,at,text");
  ASSERT_EQ(lake.rows.size(), 1u);
  EXPECT_EQ(lake.rows.begin()->second.at(0),
            (std::vector<std::string>{"a", "2", "1970-01-01T00:00:00.000005Z", "x,y"}));
  writer->reset();
  ASSERT_TRUE(base::RemoveTree(env, root).has_value());
}

}  // namespace
}  // namespace promorec::lake
