// Test-only: the fixture shared by the storage-fault tests
// (eventlog_fault_test.cc, eventlog_damage_test.cc): a store over a
// FaultInjectionEnv on the in-memory or POSIX Env, with helpers that
// append self-verifying records and check what survives.
#pragma once

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

}  // namespace
}  // namespace promorec::eventlog
