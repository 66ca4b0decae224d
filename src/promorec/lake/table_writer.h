// Writes one table of the data lake: buffers records per hourly partition,
// flushes them as gzip-compressed CSV files under Hive-style partitions, and
// commits each flush through the table's journal so that the lake holds every
// record of an at-least-once source exactly once, across crashes at any
// point (docs/formats/lake.md: "Writing", "Commit protocol", "Recovery").
//
// The caller is a consumer of a sharded log. On start it opens the writer,
// reads ResumePositions() and replays its log from there, shard by shard, in
// sequence order; it calls Add for each record, FlushDue after each batch
// (and on a timer, so that a quiet table still meets its age limit), and
// FlushAll at shutdown. Records re-added with a sequence number the writer
// has already taken are ignored and counted.
//
// Errors: Add fails with kInvalidArgument for a record that does not fit the
// schema (nothing buffered) and kUnavailable when flushes keep failing and
// the buffer is full (back-pressure: try again after a successful flush). A
// failed flush returns its error; records not yet committed stay buffered
// and the next FlushDue/FlushAll retries, first finishing whatever the failed
// one left (renames, catalog, journal rewrite). Nothing ResumePositions has
// reported is lost.
//
// Thread-safety: Open, Add, FlushDue, FlushAll and ResumePositions are for
// one thread at a time (the consumer's). stats() may be called from any
// thread at any time (the metrics exporter).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/lake/catalog_format.h"
#include "promorec/lake/journal_format.h"
#include "promorec/lake/schema.h"

namespace promorec::lake {

struct WriterOptions {
  // Flush the table when its buffered CSV text reaches this size...
  std::uint64_t max_buffer_bytes = 5u << 20;
  // ...or when its oldest buffered record was added this long ago (on the
  // clock's monotonic time).
  std::int64_t max_age_us = 60'000'000;
  // Add refuses new records (kUnavailable) while this much is buffered,
  // which only happens when flushes fail. 0 means 4 * max_buffer_bytes.
  std::uint64_t max_held_bytes = 0;
  // Rewrite the journal as a single snapshot once it is this large.
  std::uint64_t journal_compact_bytes = 256u << 10;
};

// Counters for /metrics. Monotonic except the two "buffered" gauges.
struct WriterStats {
  std::uint64_t files_written = 0;       // data files committed
  std::uint64_t records_written = 0;     // records committed
  std::uint64_t bytes_written = 0;       // compressed bytes committed
  std::uint64_t commits = 0;             // flushes that committed
  std::uint64_t duplicates_ignored = 0;  // Adds with a sequence already taken
  std::uint64_t records_rejected = 0;    // Adds that did not fit the schema
  std::uint64_t flush_failures = 0;      // FlushDue/FlushAll calls that returned an error
  std::uint64_t journal_compactions = 0;
  std::uint64_t journal_tail_bytes_dropped = 0;  // torn last journal record found on open
  std::uint64_t temp_files_removed = 0;          // uncommitted files removed on open
  std::uint64_t renames_redone = 0;              // committed files renamed on open
  std::uint64_t catalog_rebuilds = 0;            // catalog rebuilt from the data files
  std::uint64_t buffered_records = 0;            // gauge
  std::uint64_t buffered_bytes = 0;              // gauge
};

class TableWriter {
 public:
  // Opens (creating if needed) `<lake_dir>/<schema.name>`, takes its lock,
  // runs recovery, and brings `<catalog_dir>/<schema.name>.catalog` up to
  // date. `env` and `clock` must outlive the writer. Fails on an invalid
  // schema, a schema whose columns differ from the catalog's while the table
  // has files, a damaged journal, a committed file that is missing, or a
  // table already open (kUnavailable).
  [[nodiscard]] static base::Result<std::unique_ptr<TableWriter>> Open(
      base::Env* env, base::Clock* clock, std::string lake_dir, std::string catalog_dir,
      TableSchema schema, std::uint32_t shard_count, WriterOptions options = {});

  ~TableWriter();
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Per shard, the first sequence number that is not in the lake (1 when
  // none is).
  std::vector<std::uint64_t> ResumePositions() const;

  // Buffers one record: `fields` in column order (docs/formats/lake.md,
  // "Values by column type": timestamps as microseconds since the epoch in
  // decimal; an empty field is NULL, or the empty string for a string
  // column), landing in the partition of `time_us`. Sequence numbers start
  // at 1.
  [[nodiscard]] base::Status Add(std::uint32_t shard, std::uint64_t sequence, std::int64_t time_us,
                                 std::span<const std::string_view> fields);

  // Flushes the table when it is over size or age, after finishing any
  // work a failed flush left.
  [[nodiscard]] base::Status FlushDue();
  // Flushes everything buffered (shutdown).
  [[nodiscard]] base::Status FlushAll();
  // Whether FlushDue would flush now.
  bool FlushIsDue() const;

  WriterStats stats() const;
  const TableSchema& schema() const { return schema_; }
  // The catalog entry as of the last commit.
  const TableCatalog& catalog() const { return catalog_; }

 private:
  struct Buffer {
    std::string csv;  // rows, without the header
    std::uint64_t records = 0;
  };
  struct PendingFile {
    std::string temp_path;
    std::string final_path;
    std::string dir;
  };

  TableWriter(base::Env* env, base::Clock* clock, std::string lake_dir, std::string catalog_dir,
              TableSchema schema, std::uint32_t shard_count, WriterOptions options);

  // Recovery, run by Open (table_recovery.cc).
  [[nodiscard]] base::Status Recover();
  [[nodiscard]] base::Status RecoverFiles(const JournalContents* journal);
  [[nodiscard]] base::Status RecoverCatalog(const JournalContents* journal);
  [[nodiscard]] base::Result<TableCatalog> RebuildCatalog();

  // The flush (table_writer.cc).
  [[nodiscard]] base::Status Flush(bool everything);
  [[nodiscard]] base::Status FinishPendingWork();
  [[nodiscard]] base::Status WriteTempFiles(std::uint64_t commit_id, CommitRecord* commit,
                                            std::vector<PendingFile>* files);
  [[nodiscard]] base::Status CommitToJournal(const CommitRecord& commit);
  [[nodiscard]] base::Status RenameFiles();
  [[nodiscard]] base::Status RewriteJournal();
  [[nodiscard]] base::Status EnsurePartitionDir(const std::string& partition);
  void RemoveFilesQuietly(const std::vector<PendingFile>& files);
  void ApplyToCatalog(const CommitRecord& commit);
  void UpdateBufferGauges();

  std::string TableDir() const { return lake_dir_ + "/" + schema_.name; }
  std::string JournalPath() const { return TableDir() + "/_journal"; }
  std::string DataFileName(std::uint64_t commit_id) const;
  std::string TempFileName(std::uint64_t commit_id) const;

  base::Env* env_;
  base::Clock* clock_;
  std::string lake_dir_;
  std::string catalog_dir_;
  TableSchema schema_;
  std::uint32_t shard_count_;
  WriterOptions options_;
  std::string header_line_;

  std::unique_ptr<base::FileLock> lock_;
  std::unique_ptr<base::WritableFile> journal_;  // null: rewrite before the next commit
  std::uint64_t journal_bytes_ = 0;

  // What is durable: the journal's state after its last good record.
  JournalSnapshot durable_;
  std::uint64_t next_attempt_ = 1;  // commit id of the next flush attempt
  // Per shard, the highest sequence number taken (durable or buffered).
  std::vector<std::uint64_t> taken_;

  std::map<std::int64_t, Buffer> buffers_;   // by partition hour
  std::vector<ShardRange> buffered_ranges_;  // per shard with buffered records; first=0: none
  std::uint64_t buffered_bytes_ = 0;
  std::uint64_t buffered_records_ = 0;
  std::int64_t oldest_buffered_ns_ = 0;  // monotonic time of the oldest buffered Add

  // Work a failed flush left after its commit point, or before a retry.
  std::vector<PendingFile> pending_renames_;
  std::vector<PendingFile> uncertain_temps_;  // written before a journal write that failed
  bool catalog_dirty_ = false;
  std::set<std::string> known_dirs_;  // partition folders known to exist and be synced

  TableCatalog catalog_;

  // Read by stats() from other threads.
  struct AtomicStats {
    std::atomic<std::uint64_t> files_written{0};
    std::atomic<std::uint64_t> records_written{0};
    std::atomic<std::uint64_t> bytes_written{0};
    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> duplicates_ignored{0};
    std::atomic<std::uint64_t> records_rejected{0};
    std::atomic<std::uint64_t> flush_failures{0};
    std::atomic<std::uint64_t> journal_compactions{0};
    std::atomic<std::uint64_t> journal_tail_bytes_dropped{0};
    std::atomic<std::uint64_t> temp_files_removed{0};
    std::atomic<std::uint64_t> renames_redone{0};
    std::atomic<std::uint64_t> catalog_rebuilds{0};
    std::atomic<std::uint64_t> buffered_records{0};
    std::atomic<std::uint64_t> buffered_bytes{0};
  };
  std::unique_ptr<AtomicStats> stats_;
};

}  // namespace promorec::lake
