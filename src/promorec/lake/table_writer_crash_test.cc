// Crash recovery of TableWriter at every step of the commit protocol: a
// consumer replays a fixed sharded log into the lake; the file system stops
// (process killed, optionally with a power cut, optionally mid-write) at
// step k for every k a clean run takes; a new writer then opens the same
// files, the consumer replays from ResumePositions, and the lake must hold
// every record exactly once with no temporary file left.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/event/timestamp.h"
#include "promorec/lake/catalog_format.h"
#include "promorec/lake/journal_format.h"
#include "promorec/lake/lake_test_util.h"
#include "promorec/lake/partition.h"
#include "promorec/lake/table_writer.h"

namespace promorec::lake {
namespace {

using testing::StepEnv;

constexpr std::uint32_t kShards = 2;
constexpr char kLake[] = "/data/lake";
constexpr char kCatalog[] = "/data/catalog";

TableSchema Schema() {
  return TableSchema{"clicks",
                     {{"id", ColumnType::kString, "record id"},
                      {"n", ColumnType::kBigint, "a number"},
                      {"at", ColumnType::kTimestamp, "record time"},
                      {"note", ColumnType::kString, "free text"}},
                     "test clicks"};
}

struct LogRecord {
  std::uint32_t shard;
  std::uint64_t sequence;
  std::int64_t time_us;
  std::string id;
  std::string note;
};

// Two shards, records spread over four hours that cross a day (and year)
// boundary, out of time order as late events are, interleaved as a consumer
// would read them.
std::vector<LogRecord> MakeLog(int per_shard) {
  const std::int64_t start =
      event::DaysFromCivil(2026, 12, 31) * 86'400'000'000LL + 22 * kHourUs + 1'000'000;
  std::vector<LogRecord> log;
  for (int i = 0; i < per_shard; ++i) {
    for (std::uint32_t shard = 0; shard < kShards; ++shard) {
      const auto seq = static_cast<std::uint64_t>(i + 1);
      const std::int64_t t = start + ((i + static_cast<int>(shard)) * 3 % 4) * kHourUs + i;
      const std::string id = "s" + std::to_string(shard) + "-" + std::to_string(seq);
      log.push_back({shard, seq, t, id, i % 3 == 0 ? "a, \"quoted\"\nline" : "plain " + id});
    }
  }
  return log;
}

WriterOptions SmallOptions() {
  WriterOptions options;
  options.max_buffer_bytes = 200;       // several size flushes
  options.max_age_us = 1'000'000;       // and age flushes
  options.journal_compact_bytes = 400;  // and journal compactions
  return options;
}

// The consumer: open, resume, replay (re-adding the last record after each
// flush, as an at-least-once source would), flush at the end. Returns false
// at the first error, as a crashed process would stop.
bool RunConsumer(base::Env& env, base::FakeClock& clock, const std::vector<LogRecord>& log,
                 std::vector<std::uint64_t>* resume_out = nullptr) {
  auto writer = TableWriter::Open(&env, &clock, kLake, kCatalog, Schema(), kShards, SmallOptions());
  if (!writer) return false;
  const std::vector<std::uint64_t> resume = (*writer)->ResumePositions();
  if (resume_out != nullptr) *resume_out = resume;
  int added = 0;
  const LogRecord* last = nullptr;
  for (const LogRecord& r : log) {
    if (r.sequence < resume[r.shard]) continue;
    const std::string n = std::to_string(r.sequence * 10);
    const std::string at = std::to_string(r.time_us);
    const std::string_view fields[] = {r.id, n, at, r.note};
    if (!(*writer)->Add(r.shard, r.sequence, r.time_us, fields)) return false;
    last = &r;
    if (++added % 3 == 0) {
      clock.Advance(std::chrono::milliseconds(400));
      if (!(*writer)->FlushDue()) return false;
      const std::string n2 = std::to_string(last->sequence * 10);
      const std::string at2 = std::to_string(last->time_us);
      const std::string_view again[] = {last->id, n2, at2, last->note};
      if (!(*writer)->Add(last->shard, last->sequence, last->time_us, again)) return false;
    }
  }
  return (*writer)->FlushAll().has_value();
}

// Everything a complete lake must satisfy for `log`.
void ExpectExactlyOnce(base::Env& env, const std::vector<LogRecord>& log,
                       const std::string& trace) {
  SCOPED_TRACE(trace);
  const testing::LakeContents lake = testing::ReadLakeTable(env, kLake, "clicks", "id,n,at,note");
  EXPECT_TRUE(lake.problems.empty()) << lake.problems.front();
  EXPECT_TRUE(lake.temp_files.empty()) << lake.temp_files.front();
  std::map<std::string, int> seen;
  for (const auto& [partition, rows] : lake.rows) {
    for (const auto& row : rows) {
      ASSERT_EQ(row.size(), 4u);
      ++seen[row[0]];
      // Each record is in the partition of its own time, with its values.
      bool found = false;
      for (const LogRecord& r : log) {
        if (r.id != row[0]) continue;
        found = true;
        EXPECT_EQ(partition, PartitionPath(r.time_us)) << r.id;
        EXPECT_EQ(row[1], std::to_string(r.sequence * 10));
        EXPECT_EQ(row[3], r.note);
      }
      EXPECT_TRUE(found) << row[0];
    }
  }
  for (const LogRecord& r : log) {
    EXPECT_EQ(seen[r.id], 1) << r.id << " should be in the lake exactly once";
  }
  // The catalog agrees with the files.
  auto catalog = ReadCatalog(env, kCatalog, "clicks");
  ASSERT_TRUE(catalog.has_value() && catalog->has_value())
      << (catalog ? "missing" : catalog.error().ToString());
  std::uint64_t total = 0;
  for (const auto& [partition, stats] : (*catalog)->partitions) {
    EXPECT_EQ(stats.records, lake.rows.at(partition).size()) << partition;
    EXPECT_EQ(stats.files, lake.files_per_partition.at(partition)) << partition;
    EXPECT_EQ(stats.bytes, lake.bytes_per_partition.at(partition)) << partition;
    total += stats.records;
  }
  EXPECT_EQ(total, log.size());
  EXPECT_EQ((*catalog)->partitions.size(), lake.rows.size());
  // Nothing stray in the catalog folder or the table folder.
  for (const std::string& name : testing::ListTree(env, kCatalog)) {
    EXPECT_FALSE(name.ends_with(".tmp")) << name;
  }
  EXPECT_FALSE(env.FileExists(std::string(kLake) + "/clicks/_journal.tmp").value());
}

struct CrashCase {
  StepEnv::Mode mode;
  bool power_cut;
  const char* name;
};

class TableWriterCrashTest : public ::testing::TestWithParam<CrashCase> {};

TEST_P(TableWriterCrashTest, EveryStepThenReplayGivesEachRecordOnce) {
  const CrashCase crash = GetParam();
  const std::vector<LogRecord> log = MakeLog(12);

  // A clean run, to count the steps and to check the run itself.
  std::uint64_t total_steps = 0;
  {
    auto mem = base::NewMemEnv();
    StepEnv steps(*mem);
    base::FakeClock clock(1'000'000);
    ASSERT_TRUE(RunConsumer(steps, clock, log));
    total_steps = steps.steps();
    ExpectExactlyOnce(*mem, log, "clean run");
    // The run goes through every part of the protocol: several commits
    // with several partitions each, and journal compactions.
    auto journal = base::ReadFileToString(*mem, std::string(kLake) + "/clicks/_journal");
    ASSERT_TRUE(journal.has_value());
    auto contents = DecodeJournal(*journal);
    ASSERT_TRUE(contents.has_value()) << contents.error().ToString();
    EXPECT_GT(contents->snapshot.next_commit, 4u) << "compacted after several commits";
    auto catalog = ReadCatalog(*mem, kCatalog, "clicks");
    ASSERT_TRUE(catalog.has_value() && catalog->has_value());
    EXPECT_EQ((*catalog)->partitions.size(), 4u);
    EXPECT_GT((*catalog)->Totals().files, 8u) << EncodeCatalog(**catalog);
  }
  ASSERT_GT(total_steps, 50u);

  int crashed_runs = 0;
  for (std::uint64_t k = 1; k <= total_steps; ++k) {
    auto mem = base::NewMemEnv();
    base::FaultInjectionEnv fault(*mem);
    StepEnv steps(fault);
    base::FakeClock clock(1'000'000);
    steps.Arm(crash.mode, k);
    const bool finished = RunConsumer(steps, clock, log);
    ASSERT_TRUE(steps.fired()) << "step " << k;
    // Only the last step (closing the journal as the writer goes away) comes
    // after the run has finished.
    EXPECT_EQ(finished, k == total_steps) << "step " << k;
    ++crashed_runs;
    if (crash.power_cut) {
      ASSERT_TRUE(fault.DropUnsyncedData().has_value());
    }

    // Restart, and for the recovery itself: crash it at each of its steps
    // too (open + replay), then restart once more.
    steps.Arm(StepEnv::Mode::kOff, 0);
    std::vector<std::uint64_t> resume;
    ASSERT_TRUE(RunConsumer(steps, clock, log, &resume)) << "restart after step " << k;
    ExpectExactlyOnce(*mem, log, "crash at step " + std::to_string(k));
    // A third open finds nothing to do and the lake unchanged.
    std::vector<std::uint64_t> after;
    ASSERT_TRUE(RunConsumer(steps, clock, log, &after));
    EXPECT_EQ(after, (std::vector<std::uint64_t>{13, 13}));
    if (::testing::Test::HasFailure()) {
      FAIL() << "first failure at crash step " << k << " of " << total_steps;
    }
  }
  EXPECT_EQ(crashed_runs, static_cast<int>(total_steps));
}

// A crash during recovery: after a first crash at step k, the restart
// crashes at each step j of its own; a third start must still end exactly
// once. Sampled over k to keep the run short.
TEST(TableWriterCrash, CrashDuringRecoveryAtEveryStep) {
  const std::vector<LogRecord> log = MakeLog(8);
  std::uint64_t total_steps = 0;
  {
    auto mem = base::NewMemEnv();
    StepEnv steps(*mem);
    base::FakeClock clock(1'000'000);
    ASSERT_TRUE(RunConsumer(steps, clock, log));
    total_steps = steps.steps();
  }
  for (std::uint64_t k = 1; k < total_steps; k += 3) {
    // Steps the restart takes after a crash at k (with a power cut).
    std::uint64_t restart_steps = 0;
    {
      auto mem = base::NewMemEnv();
      base::FaultInjectionEnv fault(*mem);
      StepEnv steps(fault);
      base::FakeClock clock(1'000'000);
      steps.Arm(StepEnv::Mode::kCrash, k);
      ASSERT_FALSE(RunConsumer(steps, clock, log));
      ASSERT_TRUE(fault.DropUnsyncedData().has_value());
      steps.Arm(StepEnv::Mode::kOff, 0);
      ASSERT_TRUE(RunConsumer(steps, clock, log));
      restart_steps = steps.steps();
    }
    for (std::uint64_t j = 1; j <= restart_steps; ++j) {
      auto mem = base::NewMemEnv();
      base::FaultInjectionEnv fault(*mem);
      StepEnv steps(fault);
      base::FakeClock clock(1'000'000);
      steps.Arm(StepEnv::Mode::kCrash, k);
      ASSERT_FALSE(RunConsumer(steps, clock, log));
      ASSERT_TRUE(fault.DropUnsyncedData().has_value());
      steps.Arm(StepEnv::Mode::kCrash, j);
      EXPECT_EQ(RunConsumer(steps, clock, log), j == restart_steps) << k << "/" << j;
      ASSERT_TRUE(steps.fired()) << k << "/" << j;
      ASSERT_TRUE(fault.DropUnsyncedData().has_value());
      steps.Arm(StepEnv::Mode::kOff, 0);
      ASSERT_TRUE(RunConsumer(steps, clock, log)) << k << "/" << j;
      ExpectExactlyOnce(*mem, log, "crash at " + std::to_string(k) + " then " + std::to_string(j));
      if (::testing::Test::HasFailure()) FAIL() << "crash at step " << k << ", then at " << j;
    }
  }
}

// One failing call at each step, without a restart: the consumer retries
// the flush that failed and goes on; the lake ends exactly once, and a
// later open leaves no temporary file behind.
TEST(TableWriterCrash, TransientFailureAtEveryStepThenRetry) {
  const std::vector<LogRecord> log = MakeLog(12);
  std::uint64_t total_steps = 0;
  {
    auto mem = base::NewMemEnv();
    StepEnv steps(*mem);
    base::FakeClock clock(1'000'000);
    ASSERT_TRUE(RunConsumer(steps, clock, log));
    total_steps = steps.steps();
  }
  for (std::uint64_t k = 1; k <= total_steps; ++k) {
    auto mem = base::NewMemEnv();
    StepEnv steps(*mem);
    base::FakeClock clock(1'000'000);
    steps.Arm(StepEnv::Mode::kFailOnce, k);
    bool ok = false;
    {
      auto writer =
          TableWriter::Open(&steps, &clock, kLake, kCatalog, Schema(), kShards, SmallOptions());
      if (!writer) {
        writer =
            TableWriter::Open(&steps, &clock, kLake, kCatalog, Schema(), kShards, SmallOptions());
      }
      ASSERT_TRUE(writer.has_value()) << "step " << k << ": " << writer.error().ToString();
      int failures = 0;
      for (const LogRecord& r : log) {
        const std::string n = std::to_string(r.sequence * 10);
        const std::string at = std::to_string(r.time_us);
        const std::string_view fields[] = {r.id, n, at, r.note};
        ASSERT_TRUE((*writer)->Add(r.shard, r.sequence, r.time_us, fields).has_value());
        clock.Advance(std::chrono::milliseconds(150));
        if (!(*writer)->FlushDue()) {
          ++failures;
          ASSERT_TRUE((*writer)->FlushDue().has_value()) << "retry after step " << k;
        }
      }
      if (!(*writer)->FlushAll()) {
        ++failures;
        ASSERT_TRUE((*writer)->FlushAll().has_value());
      }
      EXPECT_EQ((*writer)->stats().flush_failures, static_cast<std::uint64_t>(failures));
      EXPECT_EQ((*writer)->ResumePositions(), (std::vector<std::uint64_t>{13, 13}));
      ok = true;
    }
    ASSERT_TRUE(ok);
    ASSERT_TRUE(steps.fired());
    std::vector<std::uint64_t> resume;
    ASSERT_TRUE(RunConsumer(steps, clock, log, &resume));
    ExpectExactlyOnce(*mem, log, "failure at step " + std::to_string(k));
    if (::testing::Test::HasFailure()) FAIL() << "failure at step " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, TableWriterCrashTest,
    ::testing::Values(CrashCase{StepEnv::Mode::kCrash, false, "Kill"},
                      CrashCase{StepEnv::Mode::kCrashTorn, false, "KillMidWrite"},
                      CrashCase{StepEnv::Mode::kCrash, true, "PowerCut"},
                      CrashCase{StepEnv::Mode::kCrashTorn, true, "PowerCutMidWrite"}),
    [](const ::testing::TestParamInfo<CrashCase>& param) { return param.param.name; });

}  // namespace
}  // namespace promorec::lake
