#include "promorec/pipeline/lake_consumer.h"

#include <spdlog/spdlog.h>

namespace promorec::pipeline {

base::Result<std::unique_ptr<LakeConsumer>> LakeConsumer::Open(
    std::shared_ptr<eventlog::Stream> stream, std::unique_ptr<lake::TableWriter> writer,
    ToRow to_row) {
  std::unique_ptr<LakeConsumer> c(new LakeConsumer());
  c->writer_ = std::move(writer);
  c->to_row_ = std::move(to_row);
  std::vector<std::uint64_t> next = c->writer_->ResumePositions();
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, stream->DescribeShards());
  next.resize(shards.size(), 0);
  for (std::uint32_t shard = 0; shard < next.size(); ++shard) {
    // Sequence numbers start at 1; a table that holds nothing of a shard
    // starts at its oldest record.
    if (next[shard] <= 1) {
      PROMOREC_ASSIGN_OR_RETURN(next[shard],
                                stream->Resolve(shard, {eventlog::IteratorType::kTrimHorizon}));
    }
  }
  LakeConsumer* self = c.get();
  PROMOREC_ASSIGN_OR_RETURN(c->consumer_,
                            StreamConsumer::Create(
                                std::string(kLakeConsumer), std::move(stream), std::move(next),
                                [self](std::uint32_t shard, const eventlog::ReadBatch& batch) {
                                  self->Apply(shard, batch);
                                },
                                [self] { self->Between(); },
                                ConsumerOptions{// Small reads: a stop waits for at most one.
                                                .limits = eventlog::ReadLimits{1000, 4u << 20},
                                                // Files are flushed every minute or
                                                // so: no need to wake per append.
                                                .linger_us = 20'000,
                                                .background = true}));
  return c;
}

void LakeConsumer::Apply(std::uint32_t shard, const eventlog::ReadBatch& batch) {
  for (const eventlog::RecordView& record : batch.records) {
    std::int64_t time_us = 0;
    if (auto s = to_row_(record.data, &row_, &time_us); !s) {
      unreadable_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (auto s = writer_->Add(shard, record.sequence, time_us, row_.Fields()); !s) {
      if (s.error().code() == base::Code::kInvalidArgument) {
        unreadable_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      // Flushes keep failing and the buffer is full: the record is read
      // again after the restart (the table's positions did not move).
      spdlog::error("lake {}: {}", writer_->schema().name, s.error().ToString());
    }
  }
}

void LakeConsumer::Between() {
  if (!writer_->FlushIsDue()) return;
  // A table file commits stream positions: they must not be past the
  // stream's durable end (its producer may sync on an interval).
  if (auto s = consumer_->stream().Sync(); !s) {
    spdlog::error("lake {}: cannot sync stream {} before a flush (retried): {}",
                  writer_->schema().name, consumer_->stream().name(), s.error().ToString());
    return;
  }
  if (auto s = writer_->FlushDue(); !s) {
    spdlog::error("lake {}: flush failed (retried): {}", writer_->schema().name,
                  s.error().ToString());
    return;
  }
  SaveCheckpoint();
}

void LakeConsumer::SaveCheckpoint() {
  const std::vector<std::uint64_t> durable = writer_->ResumePositions();
  for (std::uint32_t shard = 0; shard < durable.size(); ++shard) {
    if (durable[shard] <= 1) continue;
    if (auto s = consumer_->stream().SaveCheckpoint(kLakeConsumer, shard, durable[shard] - 1); !s) {
      spdlog::warn("lake {}: checkpoint: {}", writer_->schema().name, s.error().ToString());
    }
  }
}

base::Status LakeConsumer::FlushAll() {
  PROMOREC_RETURN_IF_ERROR(consumer_->stream().Sync());
  PROMOREC_RETURN_IF_ERROR(writer_->FlushAll());
  SaveCheckpoint();
  return {};
}

base::Status LakeConsumer::Stop() {
  consumer_->Stop();
  return FlushAll();
}

namespace {

base::Result<std::unique_ptr<LakeConsumer>> OpenTable(base::Env* env, base::Clock* clock,
                                                      const std::string& data_dir,
                                                      std::shared_ptr<eventlog::Stream> stream,
                                                      lake::TableSchema schema,
                                                      lake::WriterOptions options,
                                                      LakeConsumer::ToRow to_row) {
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, stream->DescribeShards());
  PROMOREC_ASSIGN_OR_RETURN(
      auto writer, lake::TableWriter::Open(env, clock, data_dir + "/lake", data_dir + "/catalog",
                                           std::move(schema),
                                           static_cast<std::uint32_t>(shards.size()), options));
  return LakeConsumer::Open(std::move(stream), std::move(writer), std::move(to_row));
}

}  // namespace

base::Result<std::unique_ptr<LakeConsumer>> OpenDecisionsLake(
    base::Env* env, base::Clock* clock, const std::string& data_dir,
    std::shared_ptr<eventlog::Stream> impressions, lake::WriterOptions options) {
  return OpenTable(env, clock, data_dir, std::move(impressions), DecisionsTable(), options,
                   [](std::string_view data, Row* row, std::int64_t* time_us) -> base::Status {
                     PROMOREC_ASSIGN_OR_RETURN(
                         const DecisionRecord d,
                         ParseDecisionJson(data, CandidateParsing::kSkipCandidates));
                     DecisionsRow(d, row);
                     *time_us = d.time_us;
                     return {};
                   });
}

base::Result<std::unique_ptr<LakeConsumer>> OpenExamplesLake(
    base::Env* env, base::Clock* clock, const std::string& data_dir,
    std::shared_ptr<eventlog::Stream> examples, lake::WriterOptions options) {
  return OpenTable(env, clock, data_dir, std::move(examples), ExamplesTable(), options,
                   [](std::string_view data, Row* row, std::int64_t* time_us) -> base::Status {
                     PROMOREC_ASSIGN_OR_RETURN(const Example e, ParseExampleJson(data));
                     ExamplesRow(e, row);
                     *time_us = e.time_us;
                     return {};
                   });
}

}  // namespace promorec::pipeline
