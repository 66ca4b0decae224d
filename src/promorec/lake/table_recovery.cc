// TableWriter's recovery on open (docs/formats/lake.md, "Recovery"): read
// the journal, redo the renames of committed flushes, remove what
// uncommitted flushes left, and bring the catalog entry up to date.
#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "promorec/lake/csv.h"
#include "promorec/lake/gzip.h"
#include "promorec/lake/partition.h"
#include "promorec/lake/table_writer.h"

namespace promorec::lake {

namespace {

// A data file found in a partition folder, final or temporary.
struct FoundFile {
  std::int64_t hour_us = 0;
  std::uint64_t commit = 0;
  std::string path;
};

// The commit id in "<table>-<20 digits>.csv.gz" (or the temporary form
// ".<that>.tmp"), if `name` has that form.
std::optional<std::uint64_t> CommitIdOf(std::string_view name, std::string_view table, bool temp) {
  if (temp) {
    if (!name.starts_with('.') || !name.ends_with(".tmp")) return std::nullopt;
    name = name.substr(1, name.size() - 5);
  }
  constexpr std::string_view kSuffix = ".csv.gz";
  if (name.size() != table.size() + 1 + 20 + kSuffix.size() || !name.starts_with(table) ||
      name[table.size()] != '-' || !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::uint64_t id = 0;
  for (const char c : name.substr(table.size() + 1, 20)) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return id;
}

// Every partition folder of a table, by hour: the four levels of
// year=/month=/day=/hour= names, skipping anything else.
base::Result<std::map<std::int64_t, std::string>> ListPartitions(base::Env& env,
                                                                 const std::string& table_dir) {
  std::map<std::int64_t, std::string> out;
  PROMOREC_ASSIGN_OR_RETURN(const auto years, env.ListDir(table_dir));
  for (const std::string& year : years) {
    if (!year.starts_with("year=")) continue;
    PROMOREC_ASSIGN_OR_RETURN(const auto months, env.ListDir(table_dir + "/" + year));
    for (const std::string& month : months) {
      if (!month.starts_with("month=")) continue;
      const std::string ym = year + "/" + month;
      PROMOREC_ASSIGN_OR_RETURN(const auto days, env.ListDir(table_dir + "/" + ym));
      for (const std::string& day : days) {
        if (!day.starts_with("day=")) continue;
        const std::string ymd = ym + "/" + day;
        PROMOREC_ASSIGN_OR_RETURN(const auto hours, env.ListDir(table_dir + "/" + ymd));
        for (const std::string& hour : hours) {
          const std::string partition = ymd + "/" + hour;
          if (const auto parsed = ParsePartitionPath(partition)) out.emplace(*parsed, partition);
        }
      }
    }
  }
  return out;
}

bool SameColumns(const TableSchema& a, const TableSchema& b) {
  if (a.columns.size() != b.columns.size()) return false;
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    if (a.columns[i].name != b.columns[i].name || a.columns[i].type != b.columns[i].type) {
      return false;
    }
  }
  return true;
}

std::string ColumnList(const TableSchema& schema) {
  std::string out;
  for (const Column& column : schema.columns) {
    if (!out.empty()) out += ", ";
    out += column.name + " " + std::string(ColumnTypeName(column.type));
  }
  return out;
}

}  // namespace

base::Status TableWriter::Recover() {
  const std::string journal_path = JournalPath();
  for (const std::string& stale :
       {journal_path + ".tmp", CatalogPath(catalog_dir_, schema_.name) + ".tmp"}) {
    PROMOREC_ASSIGN_OR_RETURN(const bool exists, env_->FileExists(stale));
    if (exists) PROMOREC_RETURN_IF_ERROR(env_->RemoveFile(stale));
  }

  PROMOREC_ASSIGN_OR_RETURN(const bool have_journal, env_->FileExists(journal_path));
  std::optional<JournalContents> journal;
  bool rewrite = !have_journal;
  if (have_journal) {
    {
      // What we act on must be what a power cut would leave: a commit
      // record the OS holds but the disk may not would otherwise be redone
      // here and then lost.
      PROMOREC_ASSIGN_OR_RETURN(auto file, env_->NewAppendableFile(journal_path));
      PROMOREC_RETURN_IF_ERROR(file->Sync());
      PROMOREC_RETURN_IF_ERROR(file->Close());
    }
    PROMOREC_ASSIGN_OR_RETURN(const std::string bytes, base::ReadFileToString(*env_, journal_path));
    auto decoded = DecodeJournal(bytes);
    if (!decoded) return std::unexpected(std::move(decoded).error().WithContext(journal_path));
    if (decoded->table != schema_.name) {
      return base::Corruption(journal_path + ": journal of table \"" + decoded->table + "\"");
    }
    if (decoded->dropped_tail_bytes > 0) {
      spdlog::warn(
          "lake table {}: dropped a torn last journal record ({} bytes): a flush that "
          "never committed",
          schema_.name, decoded->dropped_tail_bytes);
      stats_->journal_tail_bytes_dropped.fetch_add(decoded->dropped_tail_bytes);
      rewrite = true;
    }
    if (decoded->valid_bytes > options_.journal_compact_bytes) rewrite = true;
    durable_ = decoded->state;
    journal = *std::move(decoded);
  } else {
    durable_ = JournalSnapshot{1, std::vector<std::uint64_t>(shard_count_, 0)};
  }
  if (durable_.last_sequence.size() != shard_count_) {
    for (std::size_t i = shard_count_; i < durable_.last_sequence.size(); ++i) {
      if (durable_.last_sequence[i] != 0) {
        return base::MakeError(base::Code::kFailedPrecondition,
                               "the lake holds records of shard " + std::to_string(i) +
                                   " but the writer was opened "
                                   "with " +
                                   std::to_string(shard_count_) + " shards");
      }
    }
    durable_.last_sequence.resize(shard_count_, 0);
    rewrite = true;
  }

  PROMOREC_RETURN_IF_ERROR(RecoverFiles(journal ? &*journal : nullptr));
  PROMOREC_RETURN_IF_ERROR(RecoverCatalog(journal ? &*journal : nullptr));

  taken_ = durable_.last_sequence;
  next_attempt_ = durable_.next_commit;
  if (rewrite) {
    PROMOREC_RETURN_IF_ERROR(RewriteJournal());
    if (have_journal) stats_->journal_compactions.fetch_add(1);
  } else {
    PROMOREC_ASSIGN_OR_RETURN(journal_, env_->NewAppendableFile(journal_path));
    journal_bytes_ = journal->valid_bytes;
  }
  return base::OkStatus();
}

base::Status TableWriter::RecoverFiles(const JournalContents* journal) {
  PROMOREC_ASSIGN_OR_RETURN(const auto partitions, ListPartitions(*env_, TableDir()));
  std::map<std::pair<std::int64_t, std::uint64_t>, FoundFile> finals;
  std::map<std::pair<std::int64_t, std::uint64_t>, FoundFile> temps;
  for (const auto& [hour, partition] : partitions) {
    const std::string dir = TableDir() + "/" + partition;
    PROMOREC_ASSIGN_OR_RETURN(const auto names, env_->ListDir(dir));
    for (const std::string& name : names) {
      if (const auto id = CommitIdOf(name, schema_.name, /*temp=*/false)) {
        finals[{hour, *id}] = FoundFile{hour, *id, dir + "/" + name};
      } else if (const auto temp_id = CommitIdOf(name, schema_.name, /*temp=*/true)) {
        temps[{hour, *temp_id}] = FoundFile{hour, *temp_id, dir + "/" + name};
      }
    }
    known_dirs_.insert(partition);
  }

  std::set<std::string> dirs_to_sync;
  if (journal != nullptr) {
    for (const CommitRecord& commit : journal->commits) {
      for (const CommitFile& file : commit.files) {
        const std::string partition = PartitionPath(file.hour_us);
        const std::string dir = TableDir() + "/" + partition;
        const std::string final_path = dir + "/" + DataFileName(commit.id);
        const auto key = std::make_pair(file.hour_us, commit.id);
        if (const auto it = temps.find(key); it != temps.end()) {
          PROMOREC_RETURN_IF_ERROR(env_->RenameFile(it->second.path, final_path));
          stats_->renames_redone.fetch_add(1);
          dirs_to_sync.insert(dir);
          finals[key] = FoundFile{file.hour_us, commit.id, final_path};
          temps.erase(it);
        } else if (!finals.contains(key)) {
          return base::MakeError(base::Code::kDataLoss,
                                 final_path + ": committed data file is missing (commit " +
                                     std::to_string(commit.id) + ", " +
                                     std::to_string(file.records) + " records)");
        }
      }
    }
  }
  for (const auto& [key, file] : finals) {
    if (file.commit >= durable_.next_commit) {
      return base::Corruption(file.path + ": data file of commit " + std::to_string(file.commit) +
                              ", which the journal does not hold (next commit " +
                              std::to_string(durable_.next_commit) +
                              "); the journal lost commits, and replaying would duplicate "
                              "records");
    }
  }
  for (const auto& [key, file] : temps) {
    PROMOREC_RETURN_IF_ERROR(env_->RemoveFile(file.path));
    stats_->temp_files_removed.fetch_add(1);
    dirs_to_sync.insert(base::ParentDir(file.path));
  }
  for (const std::string& dir : dirs_to_sync) PROMOREC_RETURN_IF_ERROR(env_->SyncDir(dir));
  return base::OkStatus();
}

base::Status TableWriter::RecoverCatalog(const JournalContents* journal) {
  const std::string path = CatalogPath(catalog_dir_, schema_.name);
  auto read = ReadCatalog(*env_, catalog_dir_, schema_.name);
  std::optional<TableCatalog> current;
  std::string why_rebuild;
  if (!read) {
    why_rebuild = read.error().ToString();
  } else if (!read->has_value()) {
    if (durable_.next_commit > 1) why_rebuild = path + " is missing";
  } else {
    TableCatalog catalog = **std::move(read);
    const std::uint64_t last_commit = durable_.next_commit - 1;
    const std::uint64_t snapshot_base =
        journal != nullptr ? journal->snapshot.next_commit - 1 : last_commit;
    if (catalog.commit > last_commit || catalog.commit < snapshot_base) {
      why_rebuild = path + " is at commit " + std::to_string(catalog.commit) +
                    ", which the journal cannot bring up to commit " + std::to_string(last_commit);
    } else {
      if (!catalog.partitions.empty() && !SameColumns(catalog.schema, schema_)) {
        return base::MakeError(base::Code::kFailedPrecondition,
                               "the table has files with columns (" + ColumnList(catalog.schema) +
                                   ") but is opened with columns (" + ColumnList(schema_) +
                                   "); move the table folder away or keep the columns");
      }
      catalog_ = std::move(catalog);
      if (journal != nullptr) {
        for (const CommitRecord& commit : journal->commits) {
          if (commit.id > catalog_.commit) {
            ApplyToCatalog(commit);
            catalog_dirty_ = true;
          }
        }
      }
    }
  }
  if (!why_rebuild.empty()) {
    spdlog::warn("lake table {}: rebuilding the catalog entry from the data files: {}",
                 schema_.name, why_rebuild);
    PROMOREC_ASSIGN_OR_RETURN(catalog_, RebuildCatalog());
    stats_->catalog_rebuilds.fetch_add(1);
    catalog_dirty_ = true;
  }
  if (!(catalog_.schema == schema_)) {
    catalog_.schema = schema_;
    catalog_dirty_ = true;
  }
  if (catalog_dirty_) {
    PROMOREC_RETURN_IF_ERROR(WriteCatalog(*env_, catalog_dir_, catalog_));
    catalog_dirty_ = false;
  }
  return base::OkStatus();
}

base::Result<TableCatalog> TableWriter::RebuildCatalog() {
  TableCatalog catalog;
  catalog.schema = schema_;
  catalog.commit = durable_.next_commit - 1;
  PROMOREC_ASSIGN_OR_RETURN(const auto partitions, ListPartitions(*env_, TableDir()));
  for (const auto& [hour, partition] : partitions) {
    const std::string dir = TableDir() + "/" + partition;
    PROMOREC_ASSIGN_OR_RETURN(const auto names, env_->ListDir(dir));
    for (const std::string& name : names) {
      if (!CommitIdOf(name, schema_.name, /*temp=*/false)) continue;
      const std::string path = dir + "/" + name;
      PROMOREC_ASSIGN_OR_RETURN(const std::string gz, base::ReadFileToString(*env_, path));
      auto csv = GzipDecompress(gz);
      if (!csv) return std::unexpected(std::move(csv).error().WithContext(path));
      if (!csv->starts_with(header_line_)) {
        const std::string found = csv->substr(0, csv->find('\n'));
        return base::MakeError(base::Code::kFailedPrecondition,
                               path + ": file has columns \"" + found +
                                   "\", the table is opened with \"" +
                                   header_line_.substr(0, header_line_.size() - 1) + "\"");
      }
      auto records = CountCsvRecords(std::string_view(*csv).substr(header_line_.size()));
      if (!records) return std::unexpected(std::move(records).error().WithContext(path));
      PartitionStats& stats = catalog.partitions[partition];
      ++stats.files;
      stats.records += *records;
      stats.bytes += gz.size();
    }
  }
  return catalog;
}

}  // namespace promorec::lake
