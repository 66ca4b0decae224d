// Lands a stream of the pipeline's own records (the ad log, the labelled
// examples) in a lake table: a consumer of the stream that starts where
// the table's files end (TableWriter::ResumePositions), so the table holds
// each record exactly once whatever moment a crash hit, flushed by size or
// age (docs/formats/lake.md). It also saves the stream checkpoint `lake`
// from the same positions, so retention keeps what the lake has not taken.
//
// Thread-safety: Start/Stop from one thread; the writer is the consumer's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "promorec/base/status.h"
#include "promorec/eventlog/stream.h"
#include "promorec/lake/table_writer.h"
#include "promorec/pipeline/lake_tables.h"
#include "promorec/pipeline/stream_consumer.h"

namespace promorec::pipeline {

inline constexpr std::string_view kLakeConsumer = "lake";

class LakeConsumer {
 public:
  // Fills `row` and the record's time from a record's data; an error skips
  // the record (counted).
  using ToRow = std::function<base::Status(std::string_view data, Row* row, std::int64_t* time_us)>;

  [[nodiscard]] static base::Result<std::unique_ptr<LakeConsumer>> Open(
      std::shared_ptr<eventlog::Stream> stream, std::unique_ptr<lake::TableWriter> writer,
      ToRow to_row);

  void Start() { consumer_->Start(); }
  // Stops and flushes what is buffered.
  [[nodiscard]] base::Status Stop();
  // Reads and lands everything the stream holds now (tests, and start-up).
  [[nodiscard]] base::Status CatchUp() { return consumer_->CatchUp(); }
  [[nodiscard]] base::Status FlushAll();

  const lake::TableWriter& writer() const { return *writer_; }
  std::uint64_t unreadable() const { return unreadable_.load(std::memory_order_relaxed); }

 private:
  LakeConsumer() = default;
  void Apply(std::uint32_t shard, const eventlog::ReadBatch& batch);
  void Between();
  void SaveCheckpoint();

  std::unique_ptr<lake::TableWriter> writer_;
  ToRow to_row_;
  Row row_;
  std::unique_ptr<StreamConsumer> consumer_;
  std::atomic<std::uint64_t> unreadable_{0};
};

// The two tables fed from streams, as serve lands them.
[[nodiscard]] base::Result<std::unique_ptr<LakeConsumer>> OpenDecisionsLake(
    base::Env* env, base::Clock* clock, const std::string& data_dir,
    std::shared_ptr<eventlog::Stream> impressions, lake::WriterOptions options = {});
[[nodiscard]] base::Result<std::unique_ptr<LakeConsumer>> OpenExamplesLake(
    base::Env* env, base::Clock* clock, const std::string& data_dir,
    std::shared_ptr<eventlog::Stream> examples, lake::WriterOptions options = {});

}  // namespace promorec::pipeline
