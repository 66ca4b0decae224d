// Storage faults injected under a store through FaultInjectionEnv: failed
// fsyncs, torn writes, a full disk, failing writes, power cuts, flipped bits
// in segments and damaged checkpoints. Each test checks the promise that
// matters: an append is acknowledged only when durable, a shard that hit an
// I/O error stops taking appends until reopened, recovery keeps every
// acknowledged record, and no read ever returns a partial or garbled record.
// Runs over the in-memory Env and over the POSIX Env in a temporary folder.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/eventlog/local_store.h"
#include "promorec/eventlog/local_stream.h"
#include "promorec/eventlog/segment_format.h"
#include "promorec/eventlog/segment_scanner.h"
#include "promorec/eventlog/shard_recovery.h"

namespace promorec::eventlog {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000'000;
constexpr std::string_view kName = "faults";

// "<id>:" then filler derived from the id and the size, so a record read
// back can be checked without keeping what was sent.
std::string MakeData(std::uint64_t id, std::size_t size) {
  std::string data = std::to_string(id) + ":";
  std::uint64_t x = id * 0x9E3779B97F4A7C15ull + size;
  while (data.size() < size) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    data.push_back(static_cast<char>('a' + (x >> 59)));
  }
  return data;
}

std::optional<std::uint64_t> DataId(std::string_view data) {
  const std::size_t colon = data.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 19) return std::nullopt;
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < colon; ++i) {
    if (data[i] < '0' || data[i] > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(data[i] - '0');
  }
  if (MakeData(id, data.size()) != data) return std::nullopt;
  return id;
}

struct Spec {
  std::uint32_t shard;
  std::size_t size;
};

std::vector<Spec> Records(std::uint32_t shard, std::size_t count, std::size_t size) {
  return std::vector<Spec>(count, Spec{shard, size});
}

// Whether `report` has a finding of `kind`, on `path` and covering `offset`
// when those are given.
bool HasFinding(const RecoveryReport& report, FindingKind kind, std::string_view path = {},
                std::optional<std::uint64_t> offset = {}) {
  return std::any_of(report.findings.begin(), report.findings.end(), [&](const Finding& f) {
    return f.kind == kind && (path.empty() || f.path == path) &&
           (!offset || (f.offset <= *offset && *offset < f.offset + f.length));
  });
}

enum class Backing { kMem, kPosix };

std::string BackingName(const ::testing::TestParamInfo<Backing>& param) {
  return param.param == Backing::kMem ? "Mem" : "Posix";
}

class EventLogFaultTest : public ::testing::TestWithParam<Backing> {
 protected:
  EventLogFaultTest()
      : mem_(GetParam() == Backing::kMem ? base::NewMemEnv() : nullptr),
        env_(mem_ ? *mem_ : base::DefaultEnv()),
        clock_(kStart) {
    if (mem_) {
      base_root_ = "/data";
    } else {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      for (char& c : name) c = c == '/' ? '_' : c;
      base_root_ =
          ::testing::TempDir() + "promorec_fault_" + std::to_string(::getpid()) + "_" + name;
      std::filesystem::remove_all(base_root_);
    }
    root_ = base_root_ + "/streams";
  }
  ~EventLogFaultTest() override {
    Close();
    if (!mem_) std::filesystem::remove_all(base_root_);
  }

  static StreamOptions Options(std::uint32_t shards, Durability durability = Durability::kFsync,
                               std::uint64_t segment_bytes = 64ull << 20) {
    StreamOptions options;
    options.shard_count = shards;
    options.durability = durability;
    options.segment_bytes = segment_bytes;
    return options;
  }

  // Starts again with an empty store and an empty model in a new folder.
  void UseFreshStore(const std::string& name) {
    Close();
    acked_.clear();
    failed_ids_.clear();
    root_ = base_root_ + "/" + name;
  }

  void Create(const StreamOptions& options) { Open(&options); }
  // Reopening runs recovery; its findings are in report().
  void Reopen() { Open(nullptr); }
  void Open(const StreamOptions* create) {
    Close();
    auto store = LocalStreamStore::Open(env_, clock_, root_);
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    auto stream = create ? store_->CreateStream(kName, *create) : store_->OpenStream(kName);
    ASSERT_TRUE(stream) << stream.error().ToString();
    stream_ = *stream;
    if (create) shard_count_ = create->shard_count;
  }

  void Close() {
    stream_.reset();
    store_.reset();
  }

  RecoveryReport report() { return store_->recovery_report(); }

  std::string SegmentPath(std::uint32_t shard, std::uint64_t first_sequence) const {
    return root_ + "/" + std::string(kName) + "/" + ShardDirName(shard) + "/" +
           SegmentFileName(first_sequence);
  }

  // Appends one batch; remembers what was acknowledged and what was in
  // batches that failed (those may reappear after a reopen).
  base::Status Put(const std::vector<Spec>& specs) {
    std::vector<std::string> data;
    std::vector<std::uint64_t> ids;
    for (const Spec& spec : specs) {
      ids.push_back(next_id_.fetch_add(1));
      data.push_back(MakeData(ids.back(), spec.size));
    }
    std::vector<PutRecord> records;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      records.push_back({"k", data[i], StartingHashKey(specs[i].shard, shard_count_)});
    }
    auto results = stream_->Append(records);
    std::lock_guard lock(model_mu_);
    if (!results) {
      failed_ids_.insert(ids.begin(), ids.end());
      return std::unexpected(results.error());
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
      EXPECT_EQ((*results)[i].shard, specs[i].shard);
      acked_[{specs[i].shard, (*results)[i].sequence}] = ids[i];
    }
    return {};
  }

  void PutOk(const std::vector<Spec>& specs) {
    auto status = Put(specs);
    ASSERT_TRUE(status) << status.error().ToString();
  }

  // The append fails with `code` and a message holding `text`.
  void PutFails(const std::vector<Spec>& specs, base::Code code, std::string_view text = "") {
    auto status = Put(specs);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code(), code) << status.error().ToString();
    EXPECT_NE(status.error().message().find(text), std::string::npos) << status.error().ToString();
  }

  std::size_t acked_count() {
    std::lock_guard lock(model_mu_);
    return acked_.size();
  }

  std::vector<ShardInfo> Shards() {
    auto shards = stream_->DescribeShards();
    EXPECT_TRUE(shards && shards->size() == shard_count_);
    return shards ? *shards : std::vector<ShardInfo>(shard_count_);
  }

  // Reads every shard (sequence -> id per shard) and checks that each record
  // is intact, in order, read once, and acknowledged at that position or from
  // a failed batch; then that every acknowledged record was read, unless a
  // power cut in a mode that acknowledges before syncing may have lost some.
  std::vector<std::map<std::uint64_t, std::uint64_t>> ReadAndVerify(bool all_acknowledged = true) {
    std::vector<std::map<std::uint64_t, std::uint64_t>> read(shard_count_);
    std::set<std::uint64_t> ids;
    for (std::uint32_t shard = 0; shard < shard_count_; ++shard) {
      std::uint64_t from = stream_->Resolve(shard, {IteratorType::kTrimHorizon}).value_or(0);
      while (true) {
        auto batch = stream_->Read(shard, from, ReadLimits{37, 1 << 20});
        EXPECT_TRUE(batch) << batch.error().ToString();
        if (!batch || batch->records.empty()) break;
        for (const RecordView& r : batch->records) {
          const std::optional<std::uint64_t> id = DataId(r.data);
          EXPECT_TRUE(id) << "shard " << shard << " sequence " << r.sequence << " is garbled";
          if (!id) continue;
          EXPECT_TRUE(read[shard].empty() || read[shard].rbegin()->first < r.sequence);
          EXPECT_TRUE(ids.insert(*id).second) << "record " << *id << " read twice";
          if (auto it = acked_.find({shard, r.sequence}); it != acked_.end()) {
            EXPECT_EQ(it->second, *id) << "shard " << shard << " sequence " << r.sequence;
          } else {
            EXPECT_TRUE(failed_ids_.contains(*id))
                << "record " << *id << " at shard " << shard << " sequence " << r.sequence
                << " was never appended there";
          }
          read[shard][r.sequence] = *id;
        }
        from = batch->next_sequence;
      }
    }
    for (const auto& [where, id] : acked_) {
      if (!all_acknowledged) break;
      const auto& shard_read = read[where.first];
      const auto it = shard_read.find(where.second);
      EXPECT_TRUE(it != shard_read.end() && it->second == id)
          << "acknowledged record " << id << " lost from shard " << where.first << " sequence "
          << where.second;
    }
    return read;
  }

  static std::size_t CountRead(const std::vector<std::map<std::uint64_t, std::uint64_t>>& read) {
    std::size_t n = 0;
    for (const auto& shard : read) n += shard.size();
    return n;
  }

  void FlipByte(const std::string& path, std::size_t offset) {
    auto bytes = base::ReadFileToString(env_, path);
    ASSERT_TRUE(bytes) << bytes.error().ToString();
    ASSERT_LT(offset, bytes->size());
    (*bytes)[offset] = static_cast<char>((*bytes)[offset] ^ 0x20);
    auto file = env_.NewWritableFile(path);
    ASSERT_TRUE(file && (*file)->Append(*bytes) && (*file)->Sync() && (*file)->Close());
  }

  void ExpectCheckClean() {
    auto check = CheckStreams(env_, root_);
    ASSERT_TRUE(check) << check.error().ToString();
    EXPECT_TRUE(check->clean()) << check->ToText();
  }

  std::unique_ptr<base::Env> mem_;
  base::FaultInjectionEnv env_;
  base::FakeClock clock_;
  std::string base_root_;
  std::string root_;
  std::unique_ptr<LocalStreamStore> store_;
  std::shared_ptr<Stream> stream_;
  std::uint32_t shard_count_ = 1;
  std::atomic<std::uint64_t> next_id_{1};
  std::mutex model_mu_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t> acked_;
  std::set<std::uint64_t> failed_ids_;
};

INSTANTIATE_TEST_SUITE_P(Envs, EventLogFaultTest, ::testing::Values(Backing::kMem, Backing::kPosix),
                         BackingName);

TEST_P(EventLogFaultTest, FailedFsyncOrWriteFailsTheAppendAndFencesTheShardUntilReopen) {
  Create(Options(2));
  PutOk(Records(0, 20, 300));
  PutOk(Records(1, 20, 300));

  env_.FailSyncs(true);
  PutFails(Records(0, 5, 300), base::Code::kIoError, "injected fsync failure");

  // The disk works again, but the shard cannot know what reached it.
  env_.FailSyncs(false);
  PutFails(Records(0, 1, 300), base::Code::kFailedPrecondition, "reopen");
  // The other shard did not fail and keeps working.
  PutOk(Records(1, 3, 300));
  EXPECT_TRUE(Shards()[0].failed);
  EXPECT_FALSE(Shards()[1].failed);
  // What was never made durable is not visible before the reopen either.
  EXPECT_EQ(Shards()[0].last_sequence, 20u);
  EXPECT_EQ(ReadAndVerify()[0].size(), 20u);

  Reopen();
  EXPECT_FALSE(Shards()[0].failed);
  PutOk(Records(0, 4, 300));
  const auto read = ReadAndVerify();
  // The 20 acknowledged, maybe the 5 unsynced ones (at-least-once), the 4 new.
  EXPECT_TRUE(read[0].size() == 24 || read[0].size() == 29) << read[0].size();
  EXPECT_EQ(read[1].size(), 23u);
  ExpectCheckClean();

  // A failed write fences the shard the same way, and leaves nothing behind.
  env_.FailWritesAfter(0);
  PutFails(Records(1, 3, 300), base::Code::kIoError, "injected write failure");
  env_.ClearFaults();
  PutFails(Records(1, 1, 300), base::Code::kFailedPrecondition, "reopen");
  Reopen();
  EXPECT_TRUE(report().findings.empty()) << report().ToText();
  PutOk(Records(1, 2, 300));
  EXPECT_EQ(ReadAndVerify()[1].rbegin()->first, 25u);
}

TEST_P(EventLogFaultTest, AppendersQueuedBehindAFailedFsyncAreRefused) {
  // Eight appenders keep the shard's queue full. Fsyncs fail from the 200th
  // acknowledged record until the first append reports the failure; the
  // appenders queued behind it may not write after it: the shard no longer
  // knows where its file ends. Timing decides who is queued, so five rounds.
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    UseFreshStore("round" + std::to_string(round));
    Create(Options(1));
    std::atomic<bool> armed{false};
    std::vector<std::thread> writers;
    for (std::uint64_t t = 0; t < 8; ++t) {
      writers.emplace_back([this, t, &armed] {
        std::mt19937_64 rng(77 + t);
        while (Put(Records(0, 1 + rng() % 4, 50 + rng() % 400))) {
          if (acked_count() >= 200 && !armed.exchange(true)) env_.FailSyncs(true);
        }
        env_.FailSyncs(false);
      });
    }
    for (std::thread& w : writers) w.join();
    PutFails(Records(0, 1, 100), base::Code::kFailedPrecondition, "reopen");
    Reopen();
    for (const Finding& f : report().findings) {
      EXPECT_TRUE(!f.is_damage() || f.kind == FindingKind::kTornTail) << report().ToText();
    }
    ReadAndVerify();
    ExpectCheckClean();
  }
}

TEST_P(EventLogFaultTest, FailedIntervalSyncFencesTheShard) {
  StreamOptions options = Options(1, Durability::kInterval);
  options.sync_interval_ms = 1;
  Create(options);
  PutOk(Records(0, 10, 200));
  env_.FailSyncs(true);
  // Acknowledged after the write; the background sync after it fails. That
  // sync runs on real time, so wait for it (bounded).
  PutOk(Records(0, 1, 200));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!Shards()[0].failed) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the interval sync never failed";
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  env_.FailSyncs(false);
  PutFails(Records(0, 1, 200), base::Code::kFailedPrecondition, "reopen");
  Reopen();
  PutOk(Records(0, 2, 200));
  EXPECT_EQ(ReadAndVerify()[0].size(), 13u);
}

TEST_P(EventLogFaultTest, TornWritesAreTruncatedOnReopen) {
  // Cuts inside a fragment header, right after it, inside the payload, and
  // after the complete FIRST fragment of a record that spans blocks.
  for (const std::size_t cut : {3u, 7u, 500u, 40'000u}) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    UseFreshStore("cut" + std::to_string(cut));
    Create(Options(1));
    // Varied sizes so that the acknowledged data ends mid-block.
    for (std::size_t i = 0; i < 30; ++i) PutOk(Records(0, 1, 50 + (i * 7919) % 5000));
    PutOk(Records(0, 1, 70'000));
    env_.SetShortWrite(cut);
    PutFails({{0, 100'000}, {0, 100}}, base::Code::kIoError, "short write");
    EXPECT_EQ(Shards()[0].last_sequence, 31u);

    Reopen();
    const RecoveryReport found = report();
    EXPECT_TRUE(HasFinding(found, FindingKind::kTornTail)) << found.ToText();
    for (const Finding& f : found.findings) {
      EXPECT_TRUE(!f.is_damage() || f.kind == FindingKind::kTornTail) << found.ToText();
    }
    EXPECT_EQ(CountRead(ReadAndVerify()), 31u);
    // New appends continue right after the acknowledged records.
    PutOk(Records(0, 3, 1000));
    const auto read = ReadAndVerify();
    EXPECT_EQ(read[0].size(), 34u);
    EXPECT_EQ(read[0].rbegin()->first, 34u);
    ExpectCheckClean();
  }
}

TEST_P(EventLogFaultTest, FullDiskFailsWithNoSpaceAndLosesNothing) {
  Create(Options(2));
  std::vector<Spec> both = Records(0, 15, 2000);
  for (const Spec& spec : Records(1, 15, 2000)) both.push_back(spec);
  PutOk(both);

  env_.SetSpaceLimit(env_.bytes_appended() + 1000);
  PutFails(both, base::Code::kNoSpace);
  EXPECT_EQ(CountRead(ReadAndVerify()), 30u);

  // A restart on a still-full disk recovers, and appends fail cleanly.
  Reopen();
  EXPECT_TRUE(HasFinding(report(), FindingKind::kTornTail)) << report().ToText();
  PutFails(Records(1, 1, 2000), base::Code::kNoSpace);

  env_.ClearFaults();
  Reopen();
  EXPECT_TRUE(report().clean()) << report().ToText();
  EXPECT_EQ(CountRead(ReadAndVerify()), 30u);
  PutOk(Records(0, 2, 100));
  PutOk(Records(1, 2, 100));
  EXPECT_EQ(CountRead(ReadAndVerify()), 34u);
  ExpectCheckClean();
}

TEST_P(EventLogFaultTest, FullDiskWhileRollingASegmentIsRecovered) {
  Create(Options(1, Durability::kFsync, 64 << 10));
  // Fill the first segment to its size: the next append seals it, writes its
  // index and starts a new segment.
  while (Shards()[0].bytes < (64u << 10)) PutOk(Records(0, 1, 1500));
  const std::size_t acknowledged = acked_.size();
  // Room for the index (two or three entries: at most 116 bytes) but not for
  // the new segment's 64-byte header.
  env_.SetSpaceLimit(env_.bytes_appended() + 126);
  PutFails(Records(0, 1, 100), base::Code::kNoSpace);

  env_.ClearFaults();
  Reopen();
  EXPECT_TRUE(HasFinding(report(), FindingKind::kRemovedEmpty)) << report().ToText();
  EXPECT_TRUE(report().clean()) << report().ToText();
  EXPECT_EQ(CountRead(ReadAndVerify()), acknowledged);
  PutOk(Records(0, 5, 1500));
  EXPECT_EQ(CountRead(ReadAndVerify()), acknowledged + 5);
  EXPECT_EQ(Shards()[0].segments, 2u);
  ExpectCheckClean();
}

TEST_P(EventLogFaultTest, PowerCutInFsyncModeKeepsEveryAcknowledgedRecord) {
  Create(Options(4, Durability::kFsync, 64 << 10));
  // Four appenders; after 150 acknowledged batches every fsync starts to
  // fail, so the batches in flight at the cut are written but not durable.
  std::atomic<int> batches{0};
  std::vector<std::thread> writers;
  for (std::uint64_t t = 0; t < 4; ++t) {
    writers.emplace_back([this, t, &batches] {
      std::mt19937_64 rng(1234 + t);
      while (true) {
        std::vector<Spec> specs;
        for (std::uint64_t n = 1 + rng() % 16; n > 0; --n) {
          specs.push_back({static_cast<std::uint32_t>(rng() % 4), 10 + rng() % 3000});
        }
        if (!Put(specs)) return;
        if (batches.fetch_add(1) + 1 == 150) env_.FailSyncs(true);
      }
    });
  }
  for (std::thread& w : writers) w.join();
  ASSERT_GE(batches.load(), 150);
  ASSERT_TRUE(env_.DropUnsyncedData());
  Close();
  env_.ClearFaults();

  Reopen();
  EXPECT_TRUE(report().clean()) << report().ToText();
  const auto read = ReadAndVerify();
  EXPECT_GE(CountRead(read), acked_.size());
  PutOk(Records(3, 3, 100));
  ReadAndVerify();
  ExpectCheckClean();
}

TEST_P(EventLogFaultTest, PowerCutInNoneModeLosesOnlyTheUnsyncedTail) {
  Create(Options(2, Durability::kNone, 64 << 10));
  for (std::size_t i = 0; i < 120; ++i) {
    PutOk({{0, 1000 + (i * 13) % 2000}, {1, 1000 + (i * 29) % 2000}});
  }
  ASSERT_TRUE(env_.DropUnsyncedData());
  Close();

  Reopen();
  EXPECT_TRUE(report().clean()) << report().ToText();
  const auto read = ReadAndVerify(/*all_acknowledged=*/false);
  for (std::uint32_t shard = 0; shard < 2; ++shard) {
    SCOPED_TRACE("shard " + std::to_string(shard));
    // Sealed segments were synced when sealed; the active one was not.
    ASSERT_FALSE(read[shard].empty());
    EXPECT_LT(read[shard].size(), 120u);
    // What survives is a prefix: nothing after a gap.
    EXPECT_EQ(read[shard].rbegin()->first, read[shard].size());
  }
  ExpectCheckClean();
  // The lost tail's sequence numbers are given out again.
  std::erase_if(acked_, [&](const auto& entry) {
    return !read[entry.first.first].contains(entry.first.second);
  });
  PutOk(Records(0, 2, 500));
  const auto after = ReadAndVerify();
  EXPECT_EQ(after[0].rbegin()->first, read[0].size() + 2);
}

TEST_P(EventLogFaultTest, FlippedByteInASealedSegmentIsSkippedAndReported) {
  Create(Options(1, Durability::kFsync, 64 << 10));
  for (std::size_t i = 0; i < 450; ++i) PutOk(Records(0, 1, 200 + (i * 37) % 500));
  Close();
  // Where each record of the first segment lies; the byte to flip is in the
  // payload of the first record starting well into block 1.
  const std::string path = SegmentPath(0, 1);
  auto file = env_.NewRandomAccessFile(path);
  ASSERT_TRUE(file);
  SegmentScanner scanner(**file, kSegmentHeaderBytes, *(*file)->Size());
  ScannedRecord record;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;  // [offset, end)
  std::vector<std::uint64_t> sequences;
  std::uint64_t flip = 0;
  std::uint64_t hit = 0;
  while (scanner.Next(&record).value_or(false)) {
    spans.emplace_back(record.offset, record.end_offset);
    sequences.push_back(record.fields.sequence);
    if (flip == 0 && record.offset >= kSegmentHeaderBytes + kBlockBytes + 1000) {
      flip = record.offset + kFragmentHeaderBytes + 5;
      hit = record.fields.sequence;
    }
  }
  ASSERT_NE(flip, 0u);
  ASSERT_TRUE(scanner.damages().empty());
  FlipByte(path, static_cast<std::size_t>(flip));
  // Every record wholly outside the damaged block is read back, the one hit
  // is not, and nothing read is garbled.
  const auto expect_only_the_block_lost = [&] {
    const auto read = ReadAndVerify(/*all_acknowledged=*/false);
    const std::uint64_t block = BlockStart(flip);
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (spans[i].second <= block || spans[i].first >= block + kBlockBytes) {
        EXPECT_TRUE(read[0].contains(sequences[i])) << "sequence " << sequences[i];
      }
    }
    EXPECT_FALSE(read[0].contains(hit));
    EXPECT_LT(read[0].size(), acked_.size());
  };

  auto check = CheckStreams(env_, root_);
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_FALSE(check->clean());
  EXPECT_TRUE(HasFinding(*check, FindingKind::kCorruption, path, flip))
      << "flipped @" << flip << "\n"
      << check->ToText();

  // The segment's index is intact, so opening trusts it without reading the
  // segment; reads skip the damaged block.
  Reopen();
  expect_only_the_block_lost();
  PutOk(Records(0, 3, 300));
  EXPECT_EQ(ReadAndVerify(/*all_acknowledged=*/false)[0].rbegin()->first, 453u);

  // Without its index the segment is scanned on open, and the damage is
  // reported there too.
  Close();
  ASSERT_TRUE(env_.RemoveFile(path.substr(0, path.size() - 4) + ".idx"));
  Reopen();
  EXPECT_FALSE(report().clean());
  EXPECT_TRUE(HasFinding(report(), FindingKind::kCorruption, path, flip))
      << "flipped @" << flip << "\n"
      << report().ToText();
  EXPECT_TRUE(HasFinding(report(), FindingKind::kIndexRebuilt)) << report().ToText();
  expect_only_the_block_lost();
}

TEST_P(EventLogFaultTest, SegmentWithADamagedHeaderIsLeftUntouched) {
  Create(Options(1));
  PutOk(Records(0, 10, 100));
  Close();
  const std::string path = SegmentPath(0, 1);
  FlipByte(path, 20);
  const auto damaged = base::ReadFileToString(env_, path);
  ASSERT_TRUE(damaged);
  for (int open = 0; open < 2; ++open) {
    Reopen();
    EXPECT_TRUE(HasFinding(report(), FindingKind::kBadHeader, path)) << report().ToText();
    // Kept byte for byte, so that it can still be repaired by hand.
    EXPECT_EQ(base::ReadFileToString(env_, path).value_or(""), *damaged);
    PutOk(Records(0, 2, 100));
  }
  acked_.erase(acked_.begin(), std::next(acked_.begin(), 10));
  const auto read = ReadAndVerify();
  ASSERT_EQ(read[0].size(), 4u);
  // New records never reuse a number the damaged segment may hold.
  EXPECT_GT(read[0].begin()->first, 10u);
}

TEST_P(EventLogFaultTest, DamagedCheckpointStartsOverAndIsReported) {
  Create(Options(2));
  PutOk(Records(0, 10, 100));
  ASSERT_TRUE(stream_->SaveCheckpoint("etl", 0, 7));
  ASSERT_TRUE(stream_->SaveCheckpoint("etl", 1, 9));
  const std::string path =
      root_ + "/" + std::string(kName) + "/consumers/etl/" + ShardDirName(0) + ".ckpt";
  FlipByte(path, 17);

  const auto load = [&](std::uint32_t shard) {
    auto loaded = stream_->LoadCheckpoint("etl", shard);
    EXPECT_TRUE(loaded) << loaded.error().ToString();
    return loaded.value_or(std::nullopt);
  };
  EXPECT_EQ(load(0), std::nullopt) << "a damaged checkpoint must not be trusted";
  EXPECT_EQ(load(1), 9u);

  auto check = CheckStreams(env_, root_);
  ASSERT_TRUE(check) << check.error().ToString();
  EXPECT_FALSE(check->clean());
  EXPECT_TRUE(HasFinding(*check, FindingKind::kBadCheckpoint, path)) << check->ToText();

  // A checkpoint that cannot be made durable leaves the old one in place.
  env_.FailSyncs(true);
  EXPECT_FALSE(stream_->SaveCheckpoint("etl", 1, 20));
  env_.FailSyncs(false);
  EXPECT_EQ(load(1), 9u);

  // Saving again repairs it.
  ASSERT_TRUE(stream_->SaveCheckpoint("etl", 0, 8));
  EXPECT_EQ(load(0), 8u);
  ExpectCheckClean();
}

}  // namespace
}  // namespace promorec::eventlog
