// `promorec log stat` and `promorec log check`: what the event log holds,
// and whether it is intact. Both only read.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/base/env.h"
#include "promorec/base/json_string.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::app {
namespace {

struct LogOptions {
  std::string data_dir;
  bool json = false;
};

std::string StatJson(const std::vector<eventlog::StreamStat>& streams) {
  std::string out = "{\"streams\":[";
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const eventlog::StreamStat& s = streams[i];
    if (i > 0) out += ",";
    out += "{\"name\":";
    base::AppendJsonString(s.name, &out);
    out += ",\"shards\":[";
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    for (std::size_t j = 0; j < s.shards.size(); ++j) {
      const eventlog::ShardInfo& shard = s.shards[j];
      if (j > 0) out += ",";
      out += "{\"shard\":" + std::to_string(shard.shard) + ",\"starting_hash_key\":\"" +
             eventlog::HashKeyToDecimal(shard.starting_hash_key) + "\",\"ending_hash_key\":\"" +
             eventlog::HashKeyToDecimal(shard.ending_hash_key) + "\",\"first_sequence\":\"" +
             std::to_string(shard.first_sequence) + "\",\"last_sequence\":\"" +
             std::to_string(shard.last_sequence) +
             "\",\"records\":" + std::to_string(shard.records) +
             ",\"bytes\":" + std::to_string(shard.bytes) +
             ",\"segments\":" + std::to_string(shard.segments) + "}";
      records += shard.records;
      bytes += shard.bytes;
    }
    out += "],\"records\":" + std::to_string(records) + ",\"bytes\":" + std::to_string(bytes);
    out +=
        ",\"durability\":\"" + std::string(eventlog::DurabilityName(s.options.durability)) +
        "\",\"retention_hours\":" + std::to_string(s.options.retention_us / eventlog::kHourMicros) +
        ",\"consumers\":[";
    for (std::size_t j = 0; j < s.checkpoints.size(); ++j) {
      const eventlog::ConsumerCheckpoint& c = s.checkpoints[j];
      if (j > 0) out += ",";
      out += "{\"consumer\":";
      base::AppendJsonString(c.consumer, &out);
      out += ",\"shard\":" + std::to_string(c.shard) + ",\"sequence\":\"" +
             std::to_string(c.sequence) + "\"}";
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

std::string StatText(const std::vector<eventlog::StreamStat>& streams) {
  if (streams.empty()) return "no streams\n";
  std::string out;
  for (const eventlog::StreamStat& s : streams) {
    out += "stream " + s.name + " (" + std::to_string(s.shards.size()) + " shards, durability " +
           std::string(eventlog::DurabilityName(s.options.durability)) + ", retention " +
           std::to_string(s.options.retention_us / eventlog::kHourMicros) + " h)\n";
    for (const eventlog::ShardInfo& shard : s.shards) {
      char line[200];
      std::snprintf(line, sizeof line,
                    "  shard %u: %llu records, sequence %llu..%llu, %llu bytes in %u segments\n",
                    shard.shard, static_cast<unsigned long long>(shard.records),
                    static_cast<unsigned long long>(shard.first_sequence),
                    static_cast<unsigned long long>(shard.last_sequence),
                    static_cast<unsigned long long>(shard.bytes), shard.segments);
      out += line;
    }
    for (const eventlog::ConsumerCheckpoint& c : s.checkpoints) {
      out += "  consumer " + c.consumer + " shard " + std::to_string(c.shard) + ": checkpoint " +
             std::to_string(c.sequence) + "\n";
    }
  }
  return out;
}

int RunStat(const LogOptions& options) {
  auto streams = eventlog::StatStreams(base::DefaultEnv(), options.data_dir + "/streams");
  if (!streams) {
    std::fprintf(stderr, "promorec log stat: %s\n", streams.error().ToString().c_str());
    return kExitFailure;
  }
  const std::string out = options.json ? StatJson(*streams) : StatText(*streams);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

int RunCheck(const LogOptions& options) {
  auto report = eventlog::CheckStreams(base::DefaultEnv(), options.data_dir + "/streams");
  if (!report) {
    std::fprintf(stderr, "promorec log check: %s\n", report.error().ToString().c_str());
    return kExitFailure;
  }
  if (options.json) {
    std::printf("%s\n", report->ToJson().c_str());
  } else {
    std::fputs(report->ToText().c_str(), stdout);
    std::printf("%s\n", report->clean() ? "event log is intact" : "event log has damage");
  }
  return report->clean() ? kExitOk : kExitFailure;
}

}  // namespace

void RegisterLogCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<LogOptions>();
  CLI::App* command = app.add_subcommand("log", "inspect and check the event log");
  command->require_subcommand(1);
  CLI::App* stat = command->add_subcommand(
      "stat", "streams, shards, record counts, sizes and consumer checkpoints");
  CLI::App* check = command->add_subcommand(
      "check", "verify every stream without changing anything; exit 1 when damaged");
  for (CLI::App* sub : {stat, check}) {
    AddDataDirOption(*sub, &options->data_dir);
    sub->add_flag("--json", options->json, "print the result as one JSON object");
  }
  stat->callback([options, &result] { result.exit_code = RunStat(*options); });
  check->callback([options, &result] { result.exit_code = RunCheck(*options); });
}

}  // namespace promorec::app
