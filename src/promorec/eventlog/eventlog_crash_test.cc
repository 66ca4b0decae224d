// The proof that acknowledged data survives a crash: a forked child appends
// to a real store from several threads and reports every acknowledged
// record through a pipe; the parent kills it with SIGKILL at a random moment,
// recovers the store and reads everything back. Records are self-verifying,
// so every record read, acknowledged or not, is checked byte for byte. The
// store persists across kills, so recovery runs on its own earlier output.
// After every kill recovery may report torn tails and notes, nothing else;
// every 16 kills the whole log is read back and `log check` must be clean.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/eventlog/local_store.h"

namespace promorec::eventlog {
namespace {

constexpr std::uint64_t kSeed = 0x5EEDC4A5ull;
constexpr int kWriters = 4;
constexpr std::uint32_t kShards = 4;
constexpr std::string_view kStream = "crash";
// Full read-back and log check (which reads every segment) every this many
// kills; in between only the last two kills' records are re-read, so most
// kills cost the same however long the log has grown.
constexpr int kFullCheckEvery = 16;

struct Phase {
  const char* name;
  Durability durability;
  std::uint64_t segment_bytes;
  int kills;
};

std::uint64_t Mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A record's identity: who wrote it, packed into one number.
std::uint64_t RecordId(int iteration, int thread, std::uint64_t counter) {
  return (static_cast<std::uint64_t>(iteration) << 48) |
         (static_cast<std::uint64_t>(thread) << 40) | counter;
}

std::string PartitionKey(int thread, std::uint64_t counter) {
  return "w" + std::to_string(thread) + "-k" + std::to_string(counter % 7);
}

// "<iteration>:<thread>:<counter>:" and 10..3000 bytes of filler derived from
// those numbers alone, so a reader can regenerate any record it finds.
std::string RecordData(int iteration, int thread, std::uint64_t counter) {
  std::string data = std::to_string(iteration) + ":" + std::to_string(thread) + ":" +
                     std::to_string(counter) + ":";
  std::uint64_t x = Mix(kSeed ^ RecordId(iteration, thread, counter));
  const std::size_t filler = 10 + x % 2991;
  for (std::size_t i = 0; i < filler; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    data.push_back(static_cast<char>('0' + (x >> 58)));
  }
  return data;
}

// The writer of a record read back, or nullopt when the record is not
// exactly what some writer wrote.
std::optional<std::uint64_t> IdentifyRecord(std::string_view key, std::string_view data) {
  std::uint64_t fields[3] = {0, 0, 0};
  std::size_t pos = 0;
  for (std::uint64_t& field : fields) {
    const std::size_t colon = data.find(':', pos);
    if (colon == std::string_view::npos || colon == pos || colon - pos > 12) return std::nullopt;
    for (std::size_t i = pos; i < colon; ++i) {
      if (data[i] < '0' || data[i] > '9') return std::nullopt;
      field = field * 10 + static_cast<std::uint64_t>(data[i] - '0');
    }
    pos = colon + 1;
  }
  if (fields[0] >= (1u << 16) || fields[1] >= static_cast<std::uint64_t>(kWriters) ||
      fields[2] >= (1ull << 40)) {
    return std::nullopt;
  }
  const int iteration = static_cast<int>(fields[0]);
  const int thread = static_cast<int>(fields[1]);
  if (key != PartitionKey(thread, fields[2]) || data != RecordData(iteration, thread, fields[2])) {
    return std::nullopt;
  }
  return RecordId(iteration, thread, fields[2]);
}

// Child side. Nothing here may return into gtest or use its assertions.

[[noreturn]] void ChildDie(const char* what, const base::Error& error) {
  std::fprintf(stderr, "crash test child: %s: %s\n", what, error.ToString().c_str());
  ::_exit(3);
}

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(5);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Appends batches of 1..64 records forever; after each acknowledgement
// writes one line per record, "<shard> <sequence> <thread> <counter>".
void AppendForever(Stream& stream, int iteration, int thread, int pipe_fd, std::mutex& pipe_mu) {
  std::mt19937_64 rng(Mix(kSeed + static_cast<std::uint64_t>(iteration) * 131 +
                          static_cast<std::uint64_t>(thread)));
  std::uint64_t counter = 0;
  std::vector<std::string> keys;
  std::vector<std::string> data;
  std::vector<PutRecord> records;
  std::string lines;
  while (true) {
    const std::size_t n = 1 + rng() % 64;
    keys.clear();
    data.clear();
    records.clear();
    for (std::size_t i = 0; i < n; ++i) {
      keys.push_back(PartitionKey(thread, counter + i));
      data.push_back(RecordData(iteration, thread, counter + i));
    }
    for (std::size_t i = 0; i < n; ++i) records.push_back(PutRecord{keys[i], data[i], {}});
    auto results = stream.Append(records);
    if (!results) ChildDie("append", results.error());
    lines.clear();
    for (std::size_t i = 0; i < n; ++i) {
      lines += std::to_string((*results)[i].shard) + " " + std::to_string((*results)[i].sequence) +
               " " + std::to_string(thread) + " " + std::to_string(counter + i) + "\n";
    }
    // One write per batch, under PIPE_BUF, so a kill cuts at most the
    // last line, which the parent ignores.
    if (lines.size() > PIPE_BUF) ::_exit(6);
    {
      std::lock_guard lock(pipe_mu);
      WriteAll(pipe_fd, lines);
    }
    counter += n;
  }
}

[[noreturn]] void RunChild(const std::string& root, int iteration, int pipe_fd) {
  auto store = LocalStreamStore::Open(base::DefaultEnv(), base::RealClock(), root);
  if (!store) ChildDie("open store", store.error());
  auto stream = (*store)->OpenStream(kStream);
  if (!stream) ChildDie("open stream", stream.error());
  WriteAll(pipe_fd, "ready\n");
  std::mutex pipe_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] { AppendForever(**stream, iteration, t, pipe_fd, pipe_mu); });
  }
  for (std::thread& t : threads) t.join();
  ::_exit(4);
}

// Parent side.

struct Slot {
  std::uint64_t id = 0;
  bool acknowledged = false;
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "promorec_crash_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(root_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(root_);
  }

  void RunPhase(const Phase& phase);
  // Forks a writer, kills it after a while, returns its acknowledgement lines.
  std::string KillOneWriter(int iteration, std::mt19937_64& rng);
  // Records the acknowledgements; "" or what was wrong.
  std::string AddAcks(int iteration, const std::string& lines);
  // Reopens the store and checks shards from read_from_; "" or what was wrong.
  std::string RecoverAndVerify(bool full);
  std::string VerifyShard(Stream& stream, std::uint32_t shard, std::uint64_t from, bool full);

  std::string root_;
  // Every record known to be in the log: acknowledged, or read back after
  // an earlier recovery (a kill loses nothing the OS has, so those stay too).
  std::map<std::uint64_t, Slot> expected_[kShards];
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint64_t>> where_;
  // Per shard: the last sequence read after each of the last two kills.
  std::uint64_t last_read_[kShards] = {};
  std::uint64_t read_from_[kShards] = {1, 1, 1, 1};
  std::uint64_t acknowledged_ = 0;
  std::uint64_t unacknowledged_seen_ = 0;
  int torn_tails_ = 0;
};

std::string CrashTest::KillOneWriter(int iteration, std::mt19937_64& rng) {
  const auto sleep = std::chrono::milliseconds(2 + rng() % 39);
  // Now and then the clock starts at the fork, so the kill may land while
  // the child is still recovering the store.
  const bool from_fork = rng() % 8 == 0;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2 failed";
  const pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(root_, iteration, fds[1]);
  }
  ::close(fds[1]);
  std::string out;
  char buf[1 << 16];
  auto deadline = std::chrono::steady_clock::now() + sleep;
  bool ready = from_fork;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // the child died early; its status says why
    out.append(buf, static_cast<std::size_t>(n));
    if (!ready && out.find("ready\n") != std::string::npos) {
      ready = true;
      deadline = std::chrono::steady_clock::now() + sleep;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (true) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    return "!child ended by itself with status " + std::to_string(status);
  }
  return out;
}

std::string CrashTest::AddAcks(int iteration, const std::string& lines) {
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = lines.find('\n', pos);
    if (end == std::string::npos) break;  // a line cut by the kill: not acknowledged
    const std::string line = lines.substr(pos, end - pos);
    pos = end + 1;
    if (line == "ready") continue;
    unsigned shard = 0;
    unsigned long long sequence = 0;
    int thread = 0;
    unsigned long long counter = 0;
    if (std::sscanf(line.c_str(), "%u %llu %d %llu", &shard, &sequence, &thread, &counter) != 4 ||
        shard >= kShards) {
      return "bad acknowledgement line '" + line + "'";
    }
    const std::uint64_t id = RecordId(iteration, thread, counter);
    Slot& slot = expected_[shard][sequence];
    if (slot.id != 0 && slot.id != id) {
      return "shard " + std::to_string(shard) + " sequence " + std::to_string(sequence) +
             " acknowledged twice, for two different records";
    }
    if (!where_.emplace(id, std::make_pair(shard, sequence)).second) {
      return "record " + line + " acknowledged twice";
    }
    slot = Slot{id, true};
    ++acknowledged_;
  }
  return "";
}

std::string CrashTest::VerifyShard(Stream& stream, std::uint32_t shard, std::uint64_t from,
                                   bool full) {
  const std::string where = "shard " + std::to_string(shard) + ": ";
  std::vector<std::uint64_t> seen;
  // Per writer (iteration and thread): the last counter seen in this shard.
  std::unordered_map<std::uint64_t, std::uint64_t> last_counter;
  std::uint64_t next = from;
  std::uint64_t previous = 0;
  while (true) {
    auto batch = stream.Read(shard, next, ReadLimits{2000, 4u << 20});
    if (!batch) return where + "read failed: " + batch.error().ToString();
    if (batch->records.empty()) break;
    for (const RecordView& r : batch->records) {
      const std::string at = where + "sequence " + std::to_string(r.sequence) + ": ";
      if (r.sequence <= previous || r.sequence < from) return at + "out of order";
      previous = r.sequence;
      const std::optional<std::uint64_t> id = IdentifyRecord(r.partition_key, r.data);
      if (!id)
        return at + "garbled or partial record (" + std::to_string(r.data.size()) + " bytes)";
      if (ShardForHashKey(PartitionKeyHash(r.partition_key), kShards) != shard) {
        return at + "record of key " + std::string(r.partition_key) + " in the wrong shard";
      }
      const std::uint64_t writer = *id >> 40;
      const std::uint64_t counter = *id & ((1ull << 40) - 1);
      if (auto it = last_counter.find(writer); it != last_counter.end() && it->second >= counter) {
        return at + "writer's records out of order";
      }
      last_counter[writer] = counter;
      auto slot = expected_[shard].find(r.sequence);
      if (slot != expected_[shard].end()) {
        if (slot->second.id != *id) return at + "holds a different record than before";
      } else {
        if (where_.contains(*id)) return at + "record duplicated from another position";
        expected_[shard][r.sequence] = Slot{*id, false};
        where_.emplace(*id, std::make_pair(shard, r.sequence));
        ++unacknowledged_seen_;
      }
      seen.push_back(r.sequence);
    }
    next = batch->next_sequence;
  }
  // Everything known at or after `from` must have been read.
  auto s = seen.begin();
  for (auto it = expected_[shard].lower_bound(from); it != expected_[shard].end(); ++it) {
    while (s != seen.end() && *s < it->first) ++s;
    if (s == seen.end() || *s != it->first) {
      return where + "lost " + (it->second.acknowledged ? "acknowledged" : "recovered") +
             " record at sequence " + std::to_string(it->first);
    }
  }
  if (full && previous != seen.size()) {
    return where + "sequence numbers are not 1.." + std::to_string(previous) + " (" +
           std::to_string(seen.size()) + " records)";
  }
  last_read_[shard] = seen.empty() ? from - 1 : previous;
  return "";
}

std::string CrashTest::RecoverAndVerify(bool full) {
  auto store = LocalStreamStore::Open(base::DefaultEnv(), base::RealClock(), root_);
  if (!store) return "reopen failed: " + store.error().ToString();
  auto stream = (*store)->OpenStream(kStream);
  if (!stream) return "recovery failed: " + stream.error().ToString();
  for (const Finding& f : (*store)->recovery_report().findings) {
    // A kill tears at most the end of what was being written; anything
    // else would be damage that a crash cannot cause.
    if (f.kind == FindingKind::kTornTail) {
      ++torn_tails_;
    } else if (f.is_damage()) {
      return "recovery found " + (*store)->recovery_report().ToText();
    }
  }
  for (std::uint32_t shard = 0; shard < kShards; ++shard) {
    const std::uint64_t before = last_read_[shard];
    if (std::string error = VerifyShard(**stream, shard, full ? 1 : read_from_[shard], full);
        !error.empty()) {
      return error;
    }
    // The next pass re-reads this kill's records as well as the next one's.
    read_from_[shard] = before + 1;
  }
  return "";
}

void CrashTest::RunPhase(const Phase& phase) {
  const auto start = std::chrono::steady_clock::now();
  {
    auto store = LocalStreamStore::Open(base::DefaultEnv(), base::RealClock(), root_);
    ASSERT_TRUE(store) << store.error().ToString();
    StreamOptions options;
    options.shard_count = kShards;
    options.durability = phase.durability;
    options.sync_interval_ms = 5;
    options.segment_bytes = phase.segment_bytes;
    ASSERT_TRUE((*store)->CreateStream(kStream, options));
  }
  std::mt19937_64 rng(kSeed ^
                      Mix(static_cast<std::uint64_t>(phase.durability) * 7 + phase.segment_bytes));
  for (int iteration = 1; iteration <= phase.kills; ++iteration) {
    SCOPED_TRACE("seed " + std::to_string(kSeed) + ", " + phase.name + ", kill " +
                 std::to_string(iteration) + ", store " + root_);
    const std::string lines = KillOneWriter(iteration, rng);
    ASSERT_FALSE(lines.starts_with("!")) << lines.substr(1);
    ASSERT_EQ(AddAcks(iteration, lines), "");
    const bool full = iteration % kFullCheckEvery == 0 || iteration == phase.kills;
    ASSERT_EQ(RecoverAndVerify(full), "");
    if (full) {
      auto report = CheckStreams(base::DefaultEnv(), root_);
      ASSERT_TRUE(report) << report.error().ToString();
      EXPECT_TRUE(report->clean()) << report->ToText();
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "[ crash    ] %s: %d kills in %.1f s, %llu acknowledged records, %llu more "
      "recovered unacknowledged, %d torn tails repaired\n",
      phase.name, phase.kills, seconds, static_cast<unsigned long long>(acknowledged_),
      static_cast<unsigned long long>(unacknowledged_seen_), torn_tails_);
  // A run in which nothing was acknowledged proves nothing.
  EXPECT_GT(acknowledged_, static_cast<std::uint64_t>(phase.kills));
}

TEST_F(CrashTest, FsyncSmallSegments) {
  RunPhase({"fsync, 128 KiB segments", Durability::kFsync, 128 << 10, 90});
}

TEST_F(CrashTest, FsyncLargeSegments) {
  RunPhase({"fsync, 64 MiB segments", Durability::kFsync, 64 << 20, 40});
}

TEST_F(CrashTest, IntervalSmallSegments) {
  RunPhase({"interval, 256 KiB segments", Durability::kInterval, 256 << 10, 35});
}

TEST_F(CrashTest, NoneSmallSegments) {
  RunPhase({"none, 64 KiB segments", Durability::kNone, 64 << 10, 35});
}

}  // namespace
}  // namespace promorec::eventlog
