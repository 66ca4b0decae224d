#include "promorec/lake/table_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "promorec/base/crc32c.h"
#include "promorec/lake/csv.h"
#include "promorec/lake/gzip.h"
#include "promorec/lake/partition.h"

namespace promorec::lake {

base::Result<std::unique_ptr<TableWriter>> TableWriter::Open(
    base::Env* env, base::Clock* clock, std::string lake_dir, std::string catalog_dir,
    TableSchema schema, std::uint32_t shard_count, WriterOptions options) {
  PROMOREC_RETURN_IF_ERROR(ValidateSchema(schema));
  if (shard_count == 0 || shard_count > kMaxShards) {
    return base::InvalidArgument("table " + schema.name + ": shard count " +
                                 std::to_string(shard_count) + " is outside 1.." +
                                 std::to_string(kMaxShards));
  }
  if (options.max_buffer_bytes == 0 || options.max_age_us <= 0) {
    return base::InvalidArgument("table " + schema.name +
                                 ": max_buffer_bytes and max_age_us must be positive");
  }
  if (options.max_held_bytes == 0) options.max_held_bytes = 4 * options.max_buffer_bytes;
  std::unique_ptr<TableWriter> writer(new TableWriter(env, clock, std::move(lake_dir),
                                                      std::move(catalog_dir), std::move(schema),
                                                      shard_count, options));
  const std::string where = "lake table " + writer->TableDir();
  base::Status st = env->CreateDirs(writer->TableDir());
  if (st) {
    auto lock = env->LockFile(writer->TableDir() + "/_LOCK");
    if (lock) {
      writer->lock_ = *std::move(lock);
      st = writer->Recover();
    } else {
      st = std::unexpected(std::move(lock).error());
    }
  }
  if (!st) return std::unexpected(std::move(st).error().WithContext(where));
  return writer;
}

TableWriter::TableWriter(base::Env* env, base::Clock* clock, std::string lake_dir,
                         std::string catalog_dir, TableSchema schema, std::uint32_t shard_count,
                         WriterOptions options)
    : env_(env),
      clock_(clock),
      lake_dir_(std::move(lake_dir)),
      catalog_dir_(std::move(catalog_dir)),
      schema_(std::move(schema)),
      shard_count_(shard_count),
      options_(options),
      buffered_ranges_(shard_count),
      stats_(std::make_unique<AtomicStats>()) {
  for (std::size_t i = 0; i < schema_.columns.size(); ++i) {
    if (i > 0) header_line_ += ',';
    header_line_ += schema_.columns[i].name;
  }
  header_line_ += '\n';
}

TableWriter::~TableWriter() {
  // Nothing here is needed for correctness: unflushed records were never
  // reported by ResumePositions, and the next Open cleans up after us.
  if (journal_) (void)journal_->Close();
}

std::string TableWriter::DataFileName(std::uint64_t commit_id) const {
  return fmt::format("{}-{:020}.csv.gz", schema_.name, commit_id);
}

std::string TableWriter::TempFileName(std::uint64_t commit_id) const {
  return "." + DataFileName(commit_id) + ".tmp";
}

std::vector<std::uint64_t> TableWriter::ResumePositions() const {
  std::vector<std::uint64_t> out(shard_count_);
  for (std::uint32_t i = 0; i < shard_count_; ++i) out[i] = durable_.last_sequence[i] + 1;
  return out;
}

base::Status TableWriter::Add(std::uint32_t shard, std::uint64_t sequence, std::int64_t time_us,
                              std::span<const std::string_view> fields) {
  if (shard >= shard_count_) {
    return base::InvalidArgument("lake table " + schema_.name + ": shard " + std::to_string(shard) +
                                 " is not below the shard count " + std::to_string(shard_count_));
  }
  if (sequence == 0) {
    return base::InvalidArgument("lake table " + schema_.name + ": sequence numbers start at 1");
  }
  if (sequence <= taken_[shard]) {
    stats_->duplicates_ignored.fetch_add(1, std::memory_order_relaxed);
    return base::OkStatus();
  }
  if (fields.size() != schema_.columns.size()) {
    stats_->records_rejected.fetch_add(1, std::memory_order_relaxed);
    return base::InvalidArgument("lake table " + schema_.name + ": record has " +
                                 std::to_string(fields.size()) + " fields, the table " +
                                 std::to_string(schema_.columns.size()) + " columns");
  }
  if (buffered_bytes_ >= options_.max_held_bytes) {
    return base::MakeError(base::Code::kUnavailable,
                           "lake table " + schema_.name + ": " + std::to_string(buffered_bytes_) +
                               " bytes are buffered and flushes are failing; retry after a "
                               "successful flush");
  }
  Buffer& buffer = buffers_[PartitionHour(time_us)];
  const std::size_t row_start = buffer.csv.size();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) buffer.csv.push_back(',');
    if (base::Status st = AppendValue(schema_.columns[i].type, fields[i], &buffer.csv); !st) {
      buffer.csv.resize(row_start);
      if (buffer.records == 0) buffers_.erase(PartitionHour(time_us));
      stats_->records_rejected.fetch_add(1, std::memory_order_relaxed);
      return std::unexpected(std::move(st).error().WithContext(
          "lake table " + schema_.name + " column " + schema_.columns[i].name));
    }
  }
  buffer.csv.push_back('\n');
  ++buffer.records;
  if (buffered_records_ == 0) oldest_buffered_ns_ = clock_->MonotonicNanos();
  ShardRange& range = buffered_ranges_[shard];
  if (range.first == 0) range.first = sequence;
  range.last = sequence;
  taken_[shard] = sequence;
  buffered_bytes_ += buffer.csv.size() - row_start;
  ++buffered_records_;
  UpdateBufferGauges();
  return base::OkStatus();
}

bool TableWriter::FlushIsDue() const {
  if (buffered_records_ == 0) return false;
  if (buffered_bytes_ >= options_.max_buffer_bytes) return true;
  return clock_->MonotonicNanos() - oldest_buffered_ns_ >= options_.max_age_us * 1000;
}

base::Status TableWriter::FlushDue() {
  base::Status st = Flush(/*everything=*/false);
  if (!st) stats_->flush_failures.fetch_add(1, std::memory_order_relaxed);
  return st;
}

base::Status TableWriter::FlushAll() {
  base::Status st = Flush(/*everything=*/true);
  if (!st) stats_->flush_failures.fetch_add(1, std::memory_order_relaxed);
  return st;
}

base::Status TableWriter::Flush(bool everything) {
  PROMOREC_RETURN_IF_ERROR(FinishPendingWork());
  if (buffered_records_ == 0 || (!everything && !FlushIsDue())) return base::OkStatus();

  CommitRecord commit;
  commit.id = next_attempt_++;
  commit.time_us = clock_->NowMicros();
  for (std::uint32_t shard = 0; shard < shard_count_; ++shard) {
    const ShardRange& range = buffered_ranges_[shard];
    if (range.first != 0) commit.ranges.push_back({shard, range.first, range.last});
  }
  std::vector<PendingFile> files;
  if (base::Status st = WriteTempFiles(commit.id, &commit, &files); !st) {
    RemoveFilesQuietly(files);
    return st;
  }
  if (base::Status st = CommitToJournal(commit); !st) {
    // The journal may or may not hold the record now: keep the files until
    // a rewritten journal settles it (FinishPendingWork).
    if (journal_) (void)journal_->Close();
    journal_.reset();
    uncertain_temps_ = std::move(files);
    return st;
  }

  // Committed: the records are in the lake from here on.
  if (base::Status st = ApplyCommit(commit, &durable_); !st) {
    return base::MakeError(base::Code::kInternal, "commit does not apply: " + st.error().message());
  }
  std::uint64_t bytes = 0;
  for (const CommitFile& file : commit.files) bytes += file.bytes;
  stats_->commits.fetch_add(1, std::memory_order_relaxed);
  stats_->files_written.fetch_add(commit.files.size(), std::memory_order_relaxed);
  stats_->records_written.fetch_add(buffered_records_, std::memory_order_relaxed);
  stats_->bytes_written.fetch_add(bytes, std::memory_order_relaxed);
  buffers_.clear();
  std::fill(buffered_ranges_.begin(), buffered_ranges_.end(), ShardRange{});
  buffered_bytes_ = 0;
  buffered_records_ = 0;
  UpdateBufferGauges();
  pending_renames_ = std::move(files);
  ApplyToCatalog(commit);
  catalog_dirty_ = true;
  return FinishPendingWork();
}

base::Status TableWriter::FinishPendingWork() {
  if (!journal_) {
    PROMOREC_RETURN_IF_ERROR(RewriteJournal());
    // The rewritten journal does not hold the failed commit, so its files
    // can never be committed now.
    RemoveFilesQuietly(uncertain_temps_);
    uncertain_temps_.clear();
  }
  if (!pending_renames_.empty()) {
    PROMOREC_RETURN_IF_ERROR(RenameFiles());
    pending_renames_.clear();
  }
  if (catalog_dirty_) {
    PROMOREC_RETURN_IF_ERROR(WriteCatalog(*env_, catalog_dir_, catalog_));
    catalog_dirty_ = false;
  }
  if (journal_bytes_ > options_.journal_compact_bytes) {
    PROMOREC_RETURN_IF_ERROR(RewriteJournal());
    stats_->journal_compactions.fetch_add(1, std::memory_order_relaxed);
  }
  return base::OkStatus();
}

base::Status TableWriter::EnsurePartitionDir(const std::string& partition) {
  if (known_dirs_.contains(partition)) return base::OkStatus();
  // Each folder level created here must be made durable in its parent, or
  // a power cut could lose a committed file together with its folder.
  std::vector<std::string> parents_to_sync;
  std::string path = TableDir();
  std::size_t start = 0;
  while (start <= partition.size()) {
    const std::size_t slash = std::min(partition.find('/', start), partition.size());
    const std::string parent = path;
    path += "/" + partition.substr(start, slash - start);
    PROMOREC_ASSIGN_OR_RETURN(const bool exists, env_->FileExists(path));
    if (!exists) {
      PROMOREC_RETURN_IF_ERROR(env_->CreateDirs(path));
      parents_to_sync.push_back(parent);
    }
    start = slash + 1;
  }
  for (const std::string& dir : parents_to_sync) PROMOREC_RETURN_IF_ERROR(env_->SyncDir(dir));
  known_dirs_.insert(partition);
  return base::OkStatus();
}

base::Status TableWriter::WriteTempFiles(std::uint64_t commit_id, CommitRecord* commit,
                                         std::vector<PendingFile>* files) {
  for (const auto& [hour, buffer] : buffers_) {
    const std::string partition = PartitionPath(hour);
    PROMOREC_RETURN_IF_ERROR(EnsurePartitionDir(partition));
    std::string csv = header_line_;
    csv += buffer.csv;
    PROMOREC_ASSIGN_OR_RETURN(const std::string gz, GzipCompress(csv));
    const std::string dir = TableDir() + "/" + partition;
    files->push_back(
        PendingFile{dir + "/" + TempFileName(commit_id), dir + "/" + DataFileName(commit_id), dir});
    PROMOREC_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(files->back().temp_path));
    PROMOREC_RETURN_IF_ERROR(file->Append(gz));
    PROMOREC_RETURN_IF_ERROR(file->Sync());
    PROMOREC_RETURN_IF_ERROR(file->Close());
    commit->files.push_back(CommitFile{hour, buffer.records, gz.size(), base::Crc32c(gz)});
  }
  for (const PendingFile& file : *files) PROMOREC_RETURN_IF_ERROR(env_->SyncDir(file.dir));
  return base::OkStatus();
}

base::Status TableWriter::CommitToJournal(const CommitRecord& commit) {
  const std::string record = EncodeCommitRecord(commit);
  PROMOREC_RETURN_IF_ERROR(journal_->Append(record));
  PROMOREC_RETURN_IF_ERROR(journal_->Sync());
  journal_bytes_ += record.size();
  return base::OkStatus();
}

base::Status TableWriter::RenameFiles() {
  for (const PendingFile& file : pending_renames_) {
    PROMOREC_ASSIGN_OR_RETURN(const bool temp_exists, env_->FileExists(file.temp_path));
    if (temp_exists) PROMOREC_RETURN_IF_ERROR(env_->RenameFile(file.temp_path, file.final_path));
  }
  for (const PendingFile& file : pending_renames_)
    PROMOREC_RETURN_IF_ERROR(env_->SyncDir(file.dir));
  return base::OkStatus();
}

base::Status TableWriter::RewriteJournal() {
  if (!pending_renames_.empty()) {
    // A snapshot would forget the commit whose renames recovery must redo.
    return base::MakeError(base::Code::kInternal, "journal rewrite with renames pending");
  }
  if (journal_) {
    (void)journal_->Close();
    journal_.reset();
  }
  const std::string path = JournalPath();
  const std::string tmp = path + ".tmp";
  const std::string content = EncodeJournalHeader(schema_.name) + EncodeSnapshotRecord(durable_);
  {
    PROMOREC_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(tmp));
    base::Status st = file->Append(content);
    if (st) st = file->Sync();
    if (st) st = file->Close();
    if (!st) {
      (void)env_->RemoveFile(tmp);
      return st;
    }
  }
  PROMOREC_RETURN_IF_ERROR(env_->RenameFile(tmp, path));
  PROMOREC_RETURN_IF_ERROR(env_->SyncDir(TableDir()));
  PROMOREC_ASSIGN_OR_RETURN(journal_, env_->NewAppendableFile(path));
  journal_bytes_ = content.size();
  return base::OkStatus();
}

void TableWriter::RemoveFilesQuietly(const std::vector<PendingFile>& files) {
  // Best effort: what stays behind is an uncommitted temporary file, which
  // no reader matches and the next Open removes.
  for (const PendingFile& file : files) (void)env_->RemoveFile(file.temp_path);
}

void TableWriter::ApplyToCatalog(const CommitRecord& commit) {
  for (const CommitFile& file : commit.files) {
    PartitionStats& stats = catalog_.partitions[PartitionPath(file.hour_us)];
    ++stats.files;
    stats.records += file.records;
    stats.bytes += file.bytes;
  }
  catalog_.commit = commit.id;
}

void TableWriter::UpdateBufferGauges() {
  stats_->buffered_records.store(buffered_records_, std::memory_order_relaxed);
  stats_->buffered_bytes.store(buffered_bytes_, std::memory_order_relaxed);
}

WriterStats TableWriter::stats() const {
  const AtomicStats& s = *stats_;
  constexpr auto kOrder = std::memory_order_relaxed;
  return WriterStats{s.files_written.load(kOrder),
                     s.records_written.load(kOrder),
                     s.bytes_written.load(kOrder),
                     s.commits.load(kOrder),
                     s.duplicates_ignored.load(kOrder),
                     s.records_rejected.load(kOrder),
                     s.flush_failures.load(kOrder),
                     s.journal_compactions.load(kOrder),
                     s.journal_tail_bytes_dropped.load(kOrder),
                     s.temp_files_removed.load(kOrder),
                     s.renames_redone.load(kOrder),
                     s.catalog_rebuilds.load(kOrder),
                     s.buffered_records.load(kOrder),
                     s.buffered_bytes.load(kOrder)};
}

}  // namespace promorec::lake
