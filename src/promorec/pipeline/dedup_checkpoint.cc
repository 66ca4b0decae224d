// DedupFilter's checkpoint half: Checkpoint, Restore, CollectGarbage
// (docs/formats/dedup.md, "Checkpoints").
#include <algorithm>
#include <set>
#include <vector>

#include "promorec/base/crc32c.h"
#include "promorec/pipeline/dedup_filter.h"

namespace promorec::pipeline {
namespace {

constexpr std::string_view kManifestSource = "dedup manifest";

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

// The masked CRC of all of `table`'s fingerprints, in order.
std::uint32_t TableCrc(const FingerprintTable& table, std::vector<std::uint64_t>* buffer) {
  std::uint32_t crc = 0;
  buffer->clear();
  table.ForEach([&](std::uint64_t fp) {
    buffer->push_back(fp);
    if (buffer->size() == kFingerprintsPerBlock) {
      crc = ExtendFingerprintCrc(crc, *buffer);
      buffer->clear();
    }
  });
  return base::Crc32cMask(ExtendFingerprintCrc(crc, *buffer));
}

// Writes `table` as a segment file (to NAME.tmp, synced, renamed); the
// header's data CRC is filled in. The directory is synced by the caller.
base::Status WriteSegmentFile(base::Env& env, const std::string& path, SegmentHeader* header,
                              const FingerprintTable& table) {
  std::vector<std::uint64_t> block;
  block.reserve(kFingerprintsPerBlock);
  header->count = table.size();
  header->data_crc = TableCrc(table, &block);
  const std::string tmp = path + ".tmp";
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(tmp));
  PROMOREC_RETURN_IF_ERROR(file->Append(EncodeSegmentHeader(*header)));
  // Appends in pieces of about 1 MiB: few calls, little memory.
  std::string chunk;
  base::Status status;
  block.clear();
  auto flush_block = [&] {
    AppendSegmentBlock(block, &chunk);
    block.clear();
    if (chunk.size() >= (std::size_t{1} << 20) && status) {
      status = file->Append(chunk);
      chunk.clear();
    }
  };
  table.ForEach([&](std::uint64_t fp) {
    block.push_back(fp);
    if (block.size() == kFingerprintsPerBlock) flush_block();
  });
  if (!block.empty()) flush_block();
  PROMOREC_RETURN_IF_ERROR(status);
  if (!chunk.empty()) PROMOREC_RETURN_IF_ERROR(file->Append(chunk));
  PROMOREC_RETURN_IF_ERROR(file->Sync());
  PROMOREC_RETURN_IF_ERROR(file->Close());
  return env.RenameFile(tmp, path);
}

// Reads exactly buf.size() bytes unless the file ends first.
base::Result<std::size_t> ReadFull(base::SequentialFile& file, std::span<char> buf) {
  std::size_t got = 0;
  while (got < buf.size()) {
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, file.Read(buf.subspan(got)));
    if (n == 0) break;
    got += n;
  }
  return got;
}

std::unexpected<base::Error> Mismatch(const std::string& path, std::string_view field,
                                      const std::string& file_value,
                                      const std::string& manifest_value) {
  return base::Corruption(path + ": does not match the manifest: " + std::string(field) + " " +
                          file_value + ", the manifest says " + manifest_value);
}

// Loads the segment file `path` that `entry` of shard `shard` names.
base::Result<FingerprintTable> LoadSegmentFile(base::Env& env, const std::string& path,
                                               SegmentKind kind, std::uint32_t shard,
                                               const ManifestSegment& entry) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewSequentialFile(path));
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, env.FileSize(path));
  std::string buffer(kSegmentHeaderBytes, '\0');
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, ReadFull(*file, buffer));
  PROMOREC_ASSIGN_OR_RETURN(const SegmentHeader header,
                            DecodeSegmentHeader(std::string_view(buffer).substr(0, got), path));
  if (header.kind != kind) {
    return Mismatch(path, "kind", std::to_string(static_cast<std::uint32_t>(header.kind)),
                    std::to_string(static_cast<std::uint32_t>(kind)));
  }
  if (header.shard != shard) {
    return Mismatch(path, "shard", std::to_string(header.shard), std::to_string(shard));
  }
  if (header.segment_id != entry.segment_id) {
    return Mismatch(path, "segment id", std::to_string(header.segment_id),
                    std::to_string(entry.segment_id));
  }
  if (header.bucket != entry.bucket) {
    return Mismatch(path, "bucket", std::to_string(header.bucket), std::to_string(entry.bucket));
  }
  if (header.count != entry.count) {
    return Mismatch(path, "count", std::to_string(header.count), std::to_string(entry.count));
  }
  if (header.home_slots != entry.home_slots) {
    return Mismatch(path, "home slots", std::to_string(header.home_slots),
                    std::to_string(entry.home_slots));
  }
  if (header.data_crc != entry.data_crc) {
    return Mismatch(path, "fingerprint checksum", std::to_string(header.data_crc),
                    std::to_string(entry.data_crc));
  }
  if (size != SegmentFileBytes(header.count)) {
    return base::Corruption(path + ": the file has " + std::to_string(size) +
                            " bytes, a segment of " + std::to_string(header.count) +
                            " fingerprints has " + std::to_string(SegmentFileBytes(header.count)));
  }
  SegmentBodyDecoder decoder(header, path);
  FingerprintTable::Builder builder(header.home_slots);
  buffer.resize(kFingerprintsPerBlock * 8 + 4);
  while (const std::size_t n = decoder.next_block_bytes()) {
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t read,
                              ReadFull(*file, std::span<char>(buffer.data(), n)));
    if (read != n) {
      return base::Corruption(path + ": the file ended early (it changed while being read)");
    }
    PROMOREC_ASSIGN_OR_RETURN(auto fps, decoder.DecodeBlock(std::string_view(buffer.data(), n)));
    for (const std::uint64_t fp : fps) builder.Add(fp);
  }
  PROMOREC_RETURN_IF_ERROR(decoder.Finish());
  FingerprintTable table = std::move(builder).Finish();
  if (table.slot_count() != entry.slots) {
    return Mismatch(path, "array slots", std::to_string(table.slot_count()),
                    std::to_string(entry.slots));
  }
  return table;
}

ManifestSegment EntryOf(std::uint64_t id, std::int64_t bucket, const FingerprintTable& table,
                        std::uint64_t written_by, std::uint32_t crc) {
  ManifestSegment entry;
  entry.segment_id = id;
  entry.bucket = bucket;
  entry.count = table.size();
  entry.home_slots = table.home_slots();
  entry.slots = table.slot_count();
  entry.written_by = written_by;
  entry.data_crc = crc;
  return entry;
}

}  // namespace

base::Result<std::string> DedupFilter::Checkpoint(base::Env& env, const std::string& dir) {
  if (dir != dir_) {
    for (Shard& shard : shards_) {
      for (Segment& segment : shard.sealed) segment.written_by = 0;
      shard.open_written_by = 0;
    }
    dir_ = dir;
    dir_scanned_ = false;
  }
  if (!dir_scanned_) {
    // Number above every file already there, so that no name this filter
    // writes can be a file some committed manifest names.
    PROMOREC_RETURN_IF_ERROR(env.CreateDirs(dir));
    PROMOREC_ASSIGN_OR_RETURN(const auto names, env.ListDir(dir));
    for (const std::string& name : names) {
      if (auto parsed = ParseSegmentFileName(name)) {
        checkpoint_ = std::max(checkpoint_, parsed->checkpoint);
      }
    }
    dir_scanned_ = true;
  }
  const std::uint64_t number = ++checkpoint_;
  Manifest manifest;
  manifest.checkpoint = number;
  manifest.window_us = options_.window_us;
  manifest.bucket_count = options_.bucket_count;
  manifest.max_bytes = options_.max_bytes;
  manifest.shards.resize(shards_.size());
  for (std::uint32_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = shards_[i];
    ManifestShard& out = manifest.shards[i];
    for (Segment& segment : shard.sealed) {
      if (segment.written_by == 0) {
        SegmentHeader header;
        header.kind = SegmentKind::kSealed;
        header.shard = i;
        header.segment_id = segment.id;
        header.bucket = segment.bucket;
        header.home_slots = segment.table.home_slots();
        const std::string path =
            JoinPath(dir, SegmentFileName(i, segment.id, number, SegmentKind::kSealed));
        PROMOREC_RETURN_IF_ERROR(WriteSegmentFile(env, path, &header, segment.table));
        segment.written_by = number;
        segment.data_crc = header.data_crc;
      }
      out.sealed.push_back(
          EntryOf(segment.id, segment.bucket, segment.table, segment.written_by, segment.data_crc));
    }
    if (shard.open.size() != 0) {
      if (shard.open_written_by == 0 || shard.open_written_count != shard.open.size() ||
          shard.open_written_id != shard.next_segment_id) {
        SegmentHeader header;
        header.kind = SegmentKind::kOpen;
        header.shard = i;
        header.segment_id = shard.next_segment_id;
        header.bucket = shard.open_bucket;
        header.home_slots = shard.open.home_slots();
        const std::string path =
            JoinPath(dir, SegmentFileName(i, shard.next_segment_id, number, SegmentKind::kOpen));
        PROMOREC_RETURN_IF_ERROR(WriteSegmentFile(env, path, &header, shard.open));
        shard.open_written_by = number;
        shard.open_written_count = shard.open.size();
        shard.open_written_id = shard.next_segment_id;
        shard.open_written_crc = header.data_crc;
      }
      out.open = EntryOf(shard.next_segment_id, shard.open_bucket, shard.open,
                         shard.open_written_by, shard.open_written_crc);
    }
    out.has_time = shard.has_time;
    out.newest_us = shard.newest_us;
    out.open_bucket = shard.open_bucket;
    out.next_segment_id = shard.next_segment_id;
    out.duplicates = shard.duplicates;
    out.recorded = shard.recorded;
    out.evicted_early = shard.evicted_early;
    out.expired = shard.expired;
  }
  PROMOREC_RETURN_IF_ERROR(env.SyncDir(dir));
  return EncodeManifest(manifest);
}

base::Result<std::unique_ptr<DedupFilter>> DedupFilter::Restore(base::Env& env,
                                                                const std::string& dir,
                                                                std::string_view manifest_bytes,
                                                                const DedupOptions& options) {
  PROMOREC_ASSIGN_OR_RETURN(const Manifest manifest,
                            DecodeManifest(manifest_bytes, kManifestSource));
  if (manifest.window_us != options.window_us || manifest.bucket_count != options.bucket_count ||
      manifest.shards.size() != options.shard_count) {
    return base::FailedPrecondition(
        "dedup manifest: written for a window of " + std::to_string(manifest.window_us) +
        " us in " + std::to_string(manifest.bucket_count) + " buckets over " +
        std::to_string(manifest.shards.size()) + " shards; the filter is configured for " +
        std::to_string(options.window_us) + " us, " + std::to_string(options.bucket_count) +
        " buckets, " + std::to_string(options.shard_count) + " shards");
  }
  PROMOREC_ASSIGN_OR_RETURN(auto filter, Create(options));
  for (std::uint32_t i = 0; i < options.shard_count; ++i) {
    const ManifestShard& in = manifest.shards[i];
    Shard& shard = filter->shards_[i];
    shard.has_time = in.has_time;
    shard.newest_us = in.newest_us;
    shard.open_bucket = in.open_bucket;
    shard.next_segment_id = in.next_segment_id;
    shard.duplicates = in.duplicates;
    shard.recorded = in.recorded;
    shard.evicted_early = in.evicted_early;
    shard.expired = in.expired;
    if (!in.has_time) continue;
    // Which sealed segments fit the bound (newest first, as Seen keeps
    // them): with the bound they were written under, all of them.
    std::uint64_t bytes =
        shard.bytes +
        (in.open ? in.open->slots * 8 : FingerprintTable::EmptySlots(kOpenInitialHomeSlots) * 8);
    std::size_t first_kept = in.sealed.size();
    while (first_kept > 0) {
      const std::uint64_t need = in.sealed[first_kept - 1].slots * 8 + sizeof(Segment);
      if (bytes + need > filter->shard_budget_) break;
      bytes += need;
      --first_kept;
    }
    for (std::size_t j = 0; j < first_kept; ++j) shard.evicted_early += in.sealed[j].count;
    for (std::size_t j = first_kept; j < in.sealed.size(); ++j) {
      const ManifestSegment& entry = in.sealed[j];
      const std::string path = JoinPath(
          dir, SegmentFileName(i, entry.segment_id, entry.written_by, SegmentKind::kSealed));
      PROMOREC_ASSIGN_OR_RETURN(FingerprintTable table,
                                LoadSegmentFile(env, path, SegmentKind::kSealed, i, entry));
      Segment segment;
      segment.id = entry.segment_id;
      segment.bucket = entry.bucket;
      segment.written_by = entry.written_by;
      segment.data_crc = entry.data_crc;
      segment.table = std::move(table);
      shard.bytes += segment.table.bytes() + sizeof(Segment);
      shard.ids += segment.table.size();
      shard.sealed.push_back(std::move(segment));
    }
    if (in.open) {
      const std::string path = JoinPath(
          dir, SegmentFileName(i, in.open->segment_id, in.open->written_by, SegmentKind::kOpen));
      PROMOREC_ASSIGN_OR_RETURN(shard.open,
                                LoadSegmentFile(env, path, SegmentKind::kOpen, i, *in.open));
      shard.bytes += shard.open.bytes();
      shard.ids += shard.open.size();
      shard.open_written_by = in.open->written_by;
      shard.open_written_count = in.open->count;
      shard.open_written_id = in.open->segment_id;
      shard.open_written_crc = in.open->data_crc;
    } else {
      shard.open = FingerprintTable::WithHomeSlots(kOpenInitialHomeSlots);
      shard.bytes += shard.open.bytes();
    }
    // Only a smaller bound than the manifest's with an open table too big
    // for it gets here.
    if (shard.bytes > filter->shard_budget_) filter->EnforceBound(shard);
  }
  filter->dir_ = dir;
  filter->checkpoint_ = manifest.checkpoint;
  filter->dir_scanned_ = false;
  return filter;
}

base::Result<std::size_t> DedupFilter::CollectGarbage(base::Env& env, const std::string& dir,
                                                      std::string_view committed) {
  PROMOREC_ASSIGN_OR_RETURN(const Manifest manifest, DecodeManifest(committed, kManifestSource));
  std::set<std::string> keep;
  for (std::uint32_t i = 0; i < manifest.shards.size(); ++i) {
    const ManifestShard& shard = manifest.shards[i];
    if (shard.open) {
      keep.insert(
          SegmentFileName(i, shard.open->segment_id, shard.open->written_by, SegmentKind::kOpen));
    }
    for (const ManifestSegment& entry : shard.sealed) {
      keep.insert(SegmentFileName(i, entry.segment_id, entry.written_by, SegmentKind::kSealed));
    }
  }
  auto names = env.ListDir(dir);
  if (!names) {
    if (names.error().code() == base::Code::kNotFound) return std::size_t{0};
    return std::unexpected(names.error());
  }
  std::size_t removed = 0;
  for (const std::string& name : *names) {
    const auto parsed = ParseSegmentFileName(name);
    if (!parsed || parsed->checkpoint > manifest.checkpoint) continue;
    if (!parsed->temporary && keep.contains(name)) continue;
    PROMOREC_RETURN_IF_ERROR(env.RemoveFile(JoinPath(dir, name)));
    ++removed;
  }
  return removed;
}

}  // namespace promorec::pipeline
