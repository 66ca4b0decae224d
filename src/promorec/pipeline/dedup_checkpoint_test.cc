// Checkpoint, Restore and CollectGarbage of DedupFilter, on the in-memory
// Env, with faults from base::FaultInjectionEnv (and a rename that fails).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/fault_env.h"
#include "promorec/base/mem_env.h"
#include "promorec/base/random.h"
#include "promorec/pipeline/dedup_filter.h"

namespace promorec::pipeline {
namespace {

constexpr std::int64_t kSecond = 1000 * 1000;
constexpr char kDir[] = "/data/dedup";

struct Record {
  std::uint32_t shard;
  std::string id;
  std::int64_t t;
};

// Three shards, repeats from a pool, ~27 records of a shard per bucket of a
// 16 ms window (~430 per window), so buckets seal and expire throughout.
std::vector<Record> MakeStream(std::uint64_t seed, int n) {
  base::Rng rng(seed);
  std::vector<Record> out;
  std::vector<std::int64_t> clock(3, 1'600'000'000'000'000);
  for (int i = 0; i < n; ++i) {
    const auto shard = static_cast<std::uint32_t>(rng.Below(3));
    clock[shard] += static_cast<std::int64_t>(rng.Below(75));
    out.push_back({shard, "e" + std::to_string(rng.Below(1500)), clock[shard]});
  }
  return out;
}

const DedupOptions kOptions{.window_us = 16 * kSecond / 1000,  // 16 ms
                            .bucket_count = 16,
                            .max_bytes = 3 << 20,
                            .shard_count = 3};

std::unique_ptr<DedupFilter> NewFilter(const DedupOptions& options = kOptions) {
  auto filter = DedupFilter::Create(options);
  EXPECT_TRUE(filter.has_value());
  return std::move(*filter);
}

std::vector<bool> Feed(DedupFilter& filter, const std::vector<Record>& records, std::size_t from,
                       std::size_t to) {
  std::vector<bool> answers;
  for (std::size_t i = from; i < to; ++i) {
    answers.push_back(filter.Seen(records[i].shard, records[i].id, records[i].t));
  }
  return answers;
}

std::string Checkpoint(DedupFilter& filter, base::Env& env) {
  auto manifest = filter.Checkpoint(env, kDir);
  EXPECT_TRUE(manifest.has_value()) << manifest.error().ToString();
  return manifest.value_or("");
}

std::unique_ptr<DedupFilter> Restore(base::Env& env, const std::string& manifest,
                                     const DedupOptions& options = kOptions) {
  auto filter = DedupFilter::Restore(env, kDir, manifest, options);
  EXPECT_TRUE(filter.has_value()) << filter.error().ToString();
  return filter ? std::move(*filter) : nullptr;
}

std::vector<std::string> Files(base::Env& env) {
  auto names = env.ListDir(kDir);
  return names.value_or(std::vector<std::string>{});
}

// Crashing and restoring from a checkpoint, then replaying the records
// after it, gives the answers and counters of a filter that never stopped,
// at every one of several checkpoints.
TEST(DedupCheckpointTest, RestoreThenReplayEqualsUninterrupted) {
  auto env = base::NewMemEnv();
  const auto records = MakeStream(1, 60000);
  auto reference = NewFilter();
  const std::vector<bool> want = Feed(*reference, records, 0, records.size());
  auto live = NewFilter();
  std::size_t at = 0;
  for (const std::size_t stop : {std::size_t{5000}, std::size_t{5001}, std::size_t{21000},
                                 std::size_t{40000}, std::size_t{52000}}) {
    Feed(*live, records, at, stop);
    at = stop;
    const std::string manifest = Checkpoint(*live, *env);
    const DedupStats before = live->Stats();
    auto restored = Restore(*env, manifest);
    ASSERT_NE(restored, nullptr);
    EXPECT_EQ(restored->Stats(), before);
    const std::vector<bool> got = Feed(*restored, records, stop, records.size());
    ASSERT_TRUE(std::equal(got.begin(), got.end(), want.begin() + static_cast<long>(stop)))
        << "after the checkpoint at " << stop;
    EXPECT_EQ(restored->Stats(), reference->Stats());
  }
  EXPECT_GT(reference->Stats().expired, 0u);
  EXPECT_GT(reference->Stats().duplicates, 10000u);
}

// Sealed segments are written once; a checkpoint with nothing new writes
// only the open segments that changed.
TEST(DedupCheckpointTest, SealedSegmentsAreWrittenOnce) {
  auto mem = base::NewMemEnv();
  base::FaultInjectionEnv env(*mem);
  const auto records = MakeStream(2, 30000);
  auto filter = NewFilter();
  Feed(*filter, records, 0, 20000);
  Checkpoint(*filter, env);
  const std::uint64_t first = env.bytes_appended();
  ASSERT_GT(filter->Stats().segments, 10u);
  Checkpoint(*filter, env);  // nothing changed: nothing written
  EXPECT_EQ(env.bytes_appended(), first);
  Feed(*filter, records, 20000, 20010);  // a few records into the open segments
  Checkpoint(*filter, env);
  const std::uint64_t third = env.bytes_appended() - first;
  EXPECT_GT(third, 0u);
  EXPECT_LT(third, first / 4);
}

// Files of a later checkpoint whose manifest was never committed do not
// leak into a restore from the committed one; the restored filter's own
// checkpoints never reuse their names; garbage collection removes them once
// a later manifest is committed.
TEST(DedupCheckpointTest, UncommittedCheckpointIsIgnored) {
  auto env = base::NewMemEnv();
  const auto records = MakeStream(3, 40000);
  auto reference = NewFilter();
  Feed(*reference, records, 0, 15000);
  const DedupStats at_commit = reference->Stats();
  const std::vector<bool> want = Feed(*reference, records, 15000, records.size());

  auto live = NewFilter();
  Feed(*live, records, 0, 15000);
  const std::string committed = Checkpoint(*live, *env);
  // Different records after the commit (a stream the restore will not
  // replay), then a checkpoint that is never committed.
  const auto other = MakeStream(99, 10000);
  Feed(*live, other, 0, other.size());
  const std::string abandoned = Checkpoint(*live, *env);
  const auto abandoned_files = Files(*env);

  auto restored = Restore(*env, committed);
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->Stats(), at_commit);
  const std::vector<bool> got = Feed(*restored, records, 15000, 30000);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
  const std::string next = Checkpoint(*restored, *env);
  // No file the abandoned checkpoint wrote was overwritten: its manifest
  // still restores (to the state it described).
  auto still = Restore(*env, abandoned);
  ASSERT_NE(still, nullptr);
  EXPECT_EQ(still->Stats().recorded, live->Stats().recorded);

  // Committing `next` lets garbage collection remove the abandoned files
  // and the first checkpoint's files that `next` does not name.
  auto removed = DedupFilter::CollectGarbage(*env, kDir, next);
  ASSERT_TRUE(removed.has_value()) << removed.error().ToString();
  EXPECT_GT(*removed, 0u);
  for (const std::string& name : abandoned_files) {
    const auto parsed = ParseSegmentFileName(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    if (parsed->checkpoint == 2) {
      EXPECT_FALSE(env->FileExists(std::string(kDir) + "/" + name).value()) << name;
    }
  }
  auto after_gc = Restore(*env, next);
  ASSERT_NE(after_gc, nullptr);
  const std::vector<bool> rest = Feed(*after_gc, records, 30000, records.size());
  EXPECT_TRUE(std::equal(rest.begin(), rest.end(), want.begin() + 15000));
  EXPECT_FALSE(DedupFilter::Restore(*env, kDir, committed, kOptions).has_value());
}

// Garbage collection keeps the files of checkpoints after the committed one.
TEST(DedupCheckpointTest, GarbageCollectionKeepsLaterCheckpoints) {
  auto env = base::NewMemEnv();
  const auto records = MakeStream(4, 30000);
  auto filter = NewFilter();
  Feed(*filter, records, 0, 10000);
  const std::string first = Checkpoint(*filter, *env);
  Feed(*filter, records, 10000, 20000);
  const std::string second = Checkpoint(*filter, *env);  // in flight, not committed
  ASSERT_TRUE(DedupFilter::CollectGarbage(*env, kDir, first).has_value());
  EXPECT_NE(Restore(*env, second), nullptr);
  EXPECT_NE(Restore(*env, first), nullptr);
  ASSERT_TRUE(env->CreateDirs(kDir).has_value());
  // Leftovers of an interrupted write are removed; other names are not.
  ASSERT_TRUE(base::WriteFileAtomically(*env, std::string(kDir) + "/notes.txt", "x"));
  ASSERT_TRUE(base::WriteFileAtomically(
      *env, std::string(kDir) + "/0000-000000000999-000000000001.sealed.tmp", "x"));
  auto removed = DedupFilter::CollectGarbage(*env, kDir, second);
  ASSERT_TRUE(removed.has_value());
  EXPECT_FALSE(
      env->FileExists(std::string(kDir) + "/0000-000000000999-000000000001.sealed.tmp").value());
  EXPECT_TRUE(env->FileExists(std::string(kDir) + "/notes.txt").value());
  EXPECT_NE(Restore(*env, second), nullptr);
}

// An Env whose renames fail while armed; everything else passes through.
class FailingRenameEnv final : public base::Env {
 public:
  explicit FailingRenameEnv(base::Env& base) : base_(base) {}
  bool fail_renames = false;

  base::Result<std::unique_ptr<base::SequentialFile>> NewSequentialFile(
      const std::string& p) override {
    return base_.NewSequentialFile(p);
  }
  base::Result<std::unique_ptr<base::RandomAccessFile>> NewRandomAccessFile(
      const std::string& p) override {
    return base_.NewRandomAccessFile(p);
  }
  base::Result<std::unique_ptr<base::WritableFile>> NewWritableFile(const std::string& p) override {
    return base_.NewWritableFile(p);
  }
  base::Result<std::unique_ptr<base::WritableFile>> NewAppendableFile(
      const std::string& p) override {
    return base_.NewAppendableFile(p);
  }
  base::Result<bool> FileExists(const std::string& p) override { return base_.FileExists(p); }
  base::Result<uint64_t> FileSize(const std::string& p) override { return base_.FileSize(p); }
  base::Result<std::vector<std::string>> ListDir(const std::string& d) override {
    return base_.ListDir(d);
  }
  base::Status CreateDirs(const std::string& d) override { return base_.CreateDirs(d); }
  base::Status RemoveFile(const std::string& p) override { return base_.RemoveFile(p); }
  base::Status RemoveDir(const std::string& d) override { return base_.RemoveDir(d); }
  base::Status RenameFile(const std::string& from, const std::string& to) override {
    if (fail_renames) return base::IoError("rename " + from + ": injected failure");
    return base_.RenameFile(from, to);
  }
  base::Status TruncateFile(const std::string& p, uint64_t size) override {
    return base_.TruncateFile(p, size);
  }
  base::Status SyncDir(const std::string& d) override { return base_.SyncDir(d); }
  base::Result<std::unique_ptr<base::FileLock>> LockFile(const std::string& p) override {
    return base_.LockFile(p);
  }

 private:
  base::Env& base_;
};

// A checkpoint that fails part-way (a write, a sync, a rename), followed by
// a power cut, leaves the last committed manifest restorable with the same
// answers; and the filter can checkpoint again once the fault is gone.
TEST(DedupCheckpointTest, FailedCheckpointLeavesTheCommittedOneRestorable) {
  const auto records = MakeStream(5, 40000);
  auto reference = NewFilter();
  Feed(*reference, records, 0, 12000);
  const std::vector<bool> want = Feed(*reference, records, 12000, records.size());
  enum class Fault { kWrite, kShortWrite, kSync, kRename, kSpace };
  for (const Fault fault :
       {Fault::kWrite, Fault::kShortWrite, Fault::kSync, Fault::kRename, Fault::kSpace}) {
    for (const int after : {0, 1, 3, 10}) {
      SCOPED_TRACE("fault " + std::to_string(static_cast<int>(fault)) + " after " +
                   std::to_string(after));
      auto mem = base::NewMemEnv();
      base::FaultInjectionEnv faulty(*mem);
      FailingRenameEnv env(faulty);
      auto live = NewFilter();
      Feed(*live, records, 0, 6000);
      const std::string committed = Checkpoint(*live, env);
      Feed(*live, records, 6000, 12000);
      switch (fault) {
        case Fault::kWrite:
          faulty.FailWritesAfter(static_cast<std::uint64_t>(after));
          break;
        case Fault::kShortWrite:
          Feed(*live, records, 12000, 12000 + static_cast<std::size_t>(after));
          faulty.SetShortWrite(10);
          break;
        case Fault::kSync:
          faulty.FailSyncs(true);
          break;
        case Fault::kRename:
          env.fail_renames = true;
          break;
        case Fault::kSpace:
          faulty.SetSpaceLimit(faulty.bytes_appended() + static_cast<std::uint64_t>(after) * 1000);
          break;
      }
      auto failed = live->Checkpoint(env, kDir);
      ASSERT_FALSE(failed.has_value());
      ASSERT_TRUE(faulty.DropUnsyncedData().has_value());
      faulty.ClearFaults();
      env.fail_renames = false;
      // The consumer restarts from its last committed snapshot.
      auto restored = Restore(env, committed);
      ASSERT_NE(restored, nullptr);
      const std::vector<bool> got = Feed(*restored, records, 6000, records.size());
      std::vector<bool> expected_answers;
      {
        auto again = NewFilter();
        Feed(*again, records, 0, 6000);
        expected_answers = Feed(*again, records, 6000, records.size());
      }
      EXPECT_EQ(got, expected_answers);
      EXPECT_TRUE(std::equal(got.begin() + 6000, got.end(), want.begin()));
      // The filter that failed can checkpoint again, and that restores.
      const std::string retried = Checkpoint(*live, env);
      auto from_retry = Restore(env, retried);
      ASSERT_NE(from_retry, nullptr);
      EXPECT_EQ(from_retry->Stats(), live->Stats());
    }
  }
}

std::string FirstSealedFile(base::Env& env, const std::string& manifest) {
  auto decoded = DecodeManifest(manifest, "m");
  EXPECT_TRUE(decoded.has_value());
  for (std::uint32_t i = 0; i < decoded->shards.size(); ++i) {
    if (decoded->shards[i].sealed.empty()) continue;
    const ManifestSegment& e = decoded->shards[i].sealed.front();
    const std::string path = std::string(kDir) + "/" +
                             SegmentFileName(i, e.segment_id, e.written_by, SegmentKind::kSealed);
    EXPECT_TRUE(env.FileExists(path).value());
    return path;
  }
  ADD_FAILURE() << "no sealed segment";
  return "";
}

// Damage is reported with the file, the offset and the reason.
TEST(DedupCheckpointTest, DamagedFilesGiveClearErrors) {
  const auto records = MakeStream(6, 20000);
  auto setup = [&](base::Env& env) {
    auto filter = NewFilter();
    Feed(*filter, records, 0, records.size());
    return Checkpoint(*filter, env);
  };
  auto restore_error = [&](base::Env& env, const std::string& manifest,
                           const DedupOptions& options = kOptions) {
    auto restored = DedupFilter::Restore(env, kDir, manifest, options);
    EXPECT_FALSE(restored.has_value());
    return restored ? std::string() : restored.error().ToString();
  };
  {  // a flipped bit inside the first block
    auto env = base::NewMemEnv();
    const std::string manifest = setup(*env);
    const std::string path = FirstSealedFile(*env, manifest);
    std::string bytes = base::ReadFileToString(*env, path).value();
    bytes[kSegmentHeaderBytes + 100] ^= 0x10;
    ASSERT_TRUE(base::WriteFileAtomically(*env, path, bytes));
    const std::string error = restore_error(*env, manifest);
    EXPECT_TRUE(
        error.starts_with("corruption: " + path + ": block 0 at byte 64: checksum mismatch"))
        << error;
  }
  {  // cut short
    auto env = base::NewMemEnv();
    const std::string manifest = setup(*env);
    const std::string path = FirstSealedFile(*env, manifest);
    const std::uint64_t size = env->FileSize(path).value();
    ASSERT_TRUE(env->TruncateFile(path, size - 3).has_value());
    EXPECT_EQ(restore_error(*env, manifest),
              "corruption: " + path + ": the file has " + std::to_string(size - 3) +
                  " bytes, a segment of " + std::to_string((size - 64 - 4) / 8) +
                  " fingerprints has " + std::to_string(size));
  }
  {  // missing
    auto env = base::NewMemEnv();
    const std::string manifest = setup(*env);
    const std::string path = FirstSealedFile(*env, manifest);
    ASSERT_TRUE(env->RemoveFile(path).has_value());
    auto restored = DedupFilter::Restore(*env, kDir, manifest, kOptions);
    ASSERT_FALSE(restored.has_value());
    EXPECT_EQ(restored.error().code(), base::Code::kNotFound);
    EXPECT_NE(restored.error().message().find(path), std::string::npos)
        << restored.error().message();
  }
  {  // another file under the right name (same shape, other fingerprints)
    auto env = base::NewMemEnv();
    const std::string manifest = setup(*env);
    const std::string path = FirstSealedFile(*env, manifest);
    auto contents = DecodeSegmentFile(base::ReadFileToString(*env, path).value(), path).value();
    contents.fingerprints.back() ^= 1;
    if (contents.fingerprints.size() > 1 &&
        contents.fingerprints.back() <= contents.fingerprints[contents.fingerprints.size() - 2]) {
      contents.fingerprints.back() ^= 3;
    }
    ASSERT_TRUE(base::WriteFileAtomically(
        *env, path, EncodeSegmentFile(contents.header, contents.fingerprints)));
    const std::string error = restore_error(*env, manifest);
    EXPECT_TRUE(error.starts_with("corruption: " + path +
                                  ": does not match the manifest: fingerprint checksum"))
        << error;
  }
  {  // a damaged manifest
    auto env = base::NewMemEnv();
    std::string manifest = setup(*env);
    manifest[60] ^= 1;
    const std::string error = restore_error(*env, manifest);
    EXPECT_TRUE(error.starts_with("corruption: dedup manifest: trailer at byte " +
                                  std::to_string(manifest.size() - 4) + ": checksum mismatch"))
        << error;
  }
  {  // other options
    auto env = base::NewMemEnv();
    const std::string manifest = setup(*env);
    DedupOptions other = kOptions;
    other.bucket_count = 8;
    auto restored = DedupFilter::Restore(*env, kDir, manifest, other);
    ASSERT_FALSE(restored.has_value());
    EXPECT_EQ(restored.error().code(), base::Code::kFailedPrecondition);
    EXPECT_EQ(restored.error().message(),
              "dedup manifest: written for a window of 16000 us in 16 buckets over 3 shards; the "
              "filter is configured for 16000 us, 8 buckets, 3 shards");
  }
}

// A smaller bound on restore keeps the newest segments and counts the rest
// as evicted early.
TEST(DedupCheckpointTest, RestoreUnderASmallerBoundDropsTheOldest) {
  auto env = base::NewMemEnv();
  DedupOptions big = kOptions;
  big.shard_count = 1;
  big.window_us = 16 * kSecond;
  big.max_bytes = 64 << 20;
  auto filter = NewFilter(big);
  std::uint64_t n = 0;
  for (std::int64_t bucket = 0; bucket < 16; ++bucket) {
    for (int i = 0; i < 20000; ++i) filter->Seen(0, "id-" + std::to_string(n++), bucket * kSecond);
  }
  const std::string manifest = Checkpoint(*filter, *env);
  DedupOptions small = big;
  small.max_bytes = 1 << 20;
  auto restored = Restore(*env, manifest, small);
  ASSERT_NE(restored, nullptr);
  const DedupStats stats = restored->Stats();
  EXPECT_LE(stats.bytes_held, small.max_bytes);
  EXPECT_GT(stats.evicted_early, 0u);
  EXPECT_EQ(stats.ids_held + stats.evicted_early, n);
  EXPECT_TRUE(restored->Seen(0, "id-" + std::to_string(n - 1), 15 * kSecond));
  EXPECT_FALSE(restored->Seen(0, "id-0", 15 * kSecond));
}

}  // namespace
}  // namespace promorec::pipeline
