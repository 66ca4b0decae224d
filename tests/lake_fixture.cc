// Test fixture for tests/node/lake_duckdb_test.mjs: writes a small lake with
// the real TableWriter on the real file system — awkward strings, NULLs,
// several partitions across a year boundary, a crash in the middle of a
// commit followed by recovery and a replay — and prints what the lake must
// hold as JSON, for DuckDB to be checked against.
//   lake_fixture DATA_DIR
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/json_string.h"
#include "promorec/event/timestamp.h"
#include "promorec/lake/gzip.h"
#include "promorec/lake/lake_test_util.h"
#include "promorec/lake/partition.h"
#include "promorec/lake/schema.h"
#include "promorec/lake/table_writer.h"

namespace {

using promorec::base::Env;
using promorec::lake::ColumnType;
using promorec::lake::TableSchema;
using promorec::lake::TableWriter;

struct Row {
  std::uint32_t shard;
  std::uint64_t sequence;
  std::int64_t time_us;
  std::vector<std::string> fields;
};

struct Table {
  TableSchema schema;
  std::uint32_t shards;
  std::vector<Row> log;
};

std::int64_t At(std::int64_t y, unsigned mo, unsigned d, int h, int mi, int s, int us) {
  return ((promorec::event::DaysFromCivil(y, mo, d) * 24 + h) * 3600 + mi * 60 + s) * 1'000'000LL +
         us;
}

Table Clicks() {
  Table table{TableSchema{"clicks",
                          {{"event_id", ColumnType::kString, "the event's id"},
                           {"user_id", ColumnType::kString, "the shopper"},
                           {"price", ColumnType::kDouble, "price, when known"},
                           {"quantity", ColumnType::kBigint, "items"},
                           {"clicked", ColumnType::kBoolean, "rating 1"},
                           {"at", ColumnType::kTimestamp, "event time"},
                           {"note", ColumnType::kString, "free text"}},
                          "Every accepted click-stream event."},
              3,
              {}};
  const char* notes[] = {"say \"hi\", then\nsay bye",
                         "Grüße aus Köln, 東京 🎉",
                         "",
                         "plain",
                         "comma,separated",
                         "cr\r\nlf",
                         "'single' \\back\\slash"};
  const std::int64_t start = At(2026, 12, 31, 22, 0, 0, 0);
  for (int i = 0; i < 90; ++i) {
    const auto shard = static_cast<std::uint32_t>(i % 3);
    const std::uint64_t seq = static_cast<std::uint64_t>(i / 3) + 1;
    // Four hours: 22:00 and 23:00 on 2026-12-31, 00:00 and 01:00 on 2027-01-01.
    const std::int64_t t = start + (i % 4) * promorec::lake::kHourUs + i * 1'000'123;
    const bool null_price = i % 10 == 7;
    table.log.push_back(Row{shard,
                            seq,
                            t,
                            {"c" + std::to_string(i), "user" + std::to_string(i % 5),
                             null_price ? "" : std::to_string(i) + ".25", std::to_string(i % 4 + 1),
                             i % 2 == 0 ? "true" : "false", std::to_string(t), notes[i % 7]}});
  }
  return table;
}

Table Decisions() {
  Table table{TableSchema{"decisions",
                          {{"decision_id", ColumnType::kString, "id"},
                           {"promotion", ColumnType::kString, "the chosen promotion"},
                           {"propensity", ColumnType::kDouble, "probability of the choice"},
                           {"at", ColumnType::kTimestamp, "decision time"}},
                          "One row per promotion decision."},
              1,
              {}};
  const std::int64_t start = At(2026, 12, 7, 20, 15, 3, 123456);
  for (int i = 0; i < 10; ++i) {
    const std::int64_t t = start + (i / 5) * promorec::lake::kHourUs;
    table.log.push_back(Row{0,
                            static_cast<std::uint64_t>(i) + 1,
                            t,
                            {"d" + std::to_string(i), i % 2 ? "SPRING-10" : "Frühling, 10 %",
                             "0." + std::to_string(i + 1), std::to_string(t)}});
  }
  return table;
}

Table Examples() {
  return Table{TableSchema{"examples",
                           {{"label", ColumnType::kBoolean, "clicked"},
                            {"features", ColumnType::kString, "libffm row"}},
                           "Labelled training examples (none yet)."},
               1,
               {}};
}

// Open, resume, replay from the resume positions; false at the first error.
bool Consume(Env& env, promorec::base::FakeClock& clock, const std::string& data_dir,
             const Table& table, std::string* error) {
  promorec::lake::WriterOptions options;
  options.max_buffer_bytes = 1500;  // a few commits per table
  auto writer = TableWriter::Open(&env, &clock, data_dir + "/lake", data_dir + "/catalog",
                                  table.schema, table.shards, options);
  if (!writer) {
    *error = writer.error().ToString();
    return false;
  }
  const std::vector<std::uint64_t> resume = (*writer)->ResumePositions();
  for (const Row& row : table.log) {
    if (row.sequence < resume[row.shard]) continue;
    std::vector<std::string_view> fields(row.fields.begin(), row.fields.end());
    if (auto st = (*writer)->Add(row.shard, row.sequence, row.time_us, fields); !st) {
      *error = st.error().ToString();
      return false;
    }
    clock.Advance(std::chrono::milliseconds(100));
    if (auto st = (*writer)->FlushDue(); !st) {
      *error = st.error().ToString();
      return false;
    }
  }
  if (auto st = (*writer)->FlushAll(); !st) {
    *error = st.error().ToString();
    return false;
  }
  return true;
}

void AppendRowJson(const TableSchema& schema, const Row& row, std::string* out) {
  *out += "{";
  for (std::size_t i = 0; i < schema.columns.size(); ++i) {
    if (i > 0) *out += ",";
    promorec::base::AppendJsonString(schema.columns[i].name, out);
    *out += ":";
    const std::string& value = row.fields[i];
    if (value.empty() && schema.columns[i].type != ColumnType::kString) {
      *out += "null";
    } else if (schema.columns[i].type == ColumnType::kTimestamp) {
      std::string iso;
      promorec::lake::AppendTimestamp(std::stoll(value), &iso);
      promorec::base::AppendJsonString(iso, out);
    } else {
      promorec::base::AppendJsonString(value, out);
    }
  }
  *out += "}";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lake_fixture DATA_DIR\n");
    return 2;
  }
  const std::string data_dir = argv[1];
  Env& env = promorec::base::DefaultEnv();
  promorec::base::FakeClock clock(At(2027, 1, 1, 2, 0, 0, 0));
  const std::vector<Table> tables = {Clicks(), Decisions(), Examples()};
  std::string error;

  // clicks: the process dies at the rename of the second commit's first
  // data file (the commit is in the journal, its files still temporary);
  // a new writer recovers and the consumer replays from its positions.
  std::uint64_t renames_redone = 0;
  {
    promorec::lake::testing::StepEnv crashing(env);
    crashing.ArmOn("rename ", ".csv.gz.tmp",
                   1 + 4);  // first commit: 4 partitions; then the next one
    if (Consume(crashing, clock, data_dir, tables[0], &error) || !crashing.fired()) {
      std::fprintf(stderr, "lake_fixture: the crash did not happen\n");
      return 1;
    }
  }
  {
    auto writer = TableWriter::Open(&env, &clock, data_dir + "/lake", data_dir + "/catalog",
                                    tables[0].schema, tables[0].shards, {});
    if (!writer) {
      std::fprintf(stderr, "lake_fixture: recovery failed: %s\n",
                   writer.error().ToString().c_str());
      return 1;
    }
    renames_redone = (*writer)->stats().renames_redone;
  }
  for (const Table& table : tables) {
    if (!Consume(env, clock, data_dir, table, &error)) {
      std::fprintf(stderr, "lake_fixture: %s: %s\n", table.schema.name.c_str(), error.c_str());
      return 1;
    }
  }
  // A temporary file as a writer in the middle of a flush leaves it: the
  // readers' glob must not read it.
  {
    const std::string dir =
        data_dir + "/lake/clicks/" + promorec::lake::PartitionPath(tables[0].log[0].time_us);
    auto gz = promorec::lake::GzipCompress(
        "event_id,user_id,price,quantity,clicked,at,note\nbogus,u,1,1,true,,never read\n");
    if (!gz || !promorec::base::WriteFileAtomically(
                   env, dir + "/.clicks-99999999999999999999.csv.gz.tmp", *gz)) {
      std::fprintf(stderr, "lake_fixture: cannot write the decoy temporary file\n");
      return 1;
    }
  }

  // What the lake must hold, computed from the input, not from the lake.
  std::string out = "{\"renames_redone\":" + std::to_string(renames_redone) + ",\"tables\":{";
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const Table& table = tables[t];
    std::map<std::string, int> partitions;
    for (const Row& row : table.log) ++partitions[promorec::lake::PartitionPath(row.time_us)];
    if (t > 0) out += ",";
    promorec::base::AppendJsonString(table.schema.name, &out);
    out += ":{\"rows\":" + std::to_string(table.log.size()) + ",\"partitions\":{";
    bool first = true;
    for (const auto& [path, count] : partitions) {
      if (!first) out += ",";
      first = false;
      promorec::base::AppendJsonString(path, &out);
      out += ":" + std::to_string(count);
    }
    out += "},\"samples\":[";
    for (std::size_t i = 0; i < table.log.size() && i < 14; ++i) {
      if (i > 0) out += ",";
      AppendRowJson(table.schema, table.log[i], &out);
    }
    out += "]}";
  }
  out += "}}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
