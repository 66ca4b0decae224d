#include "promorec/agent/agent.h"

#include <gtest/gtest.h>

#include <deque>

#include "promorec/agent/tail_fs_test_util.h"
#include "promorec/base/mem_env.h"

namespace promorec::agent {
namespace {

using std::chrono::milliseconds;

// Records every delivered line; answers from a script of outcomes.
class FakeSink final : public Sink {
 public:
  base::Result<SendResult> Send(std::span<const std::string_view> lines) override {
    ++calls;
    for (const std::string_view line : lines) received.emplace_back(line);
    base::Result<SendResult> outcome = SendResult{};
    if (!script.empty()) {
      outcome = script.front();
      script.pop_front();
    }
    if (outcome) {
      std::vector<bool> failed(lines.size());
      for (const std::size_t i : outcome->retry) failed[i] = true;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!failed[i]) delivered.emplace_back(lines[i]);
      }
      batches.push_back(lines.size());
    }
    return outcome;
  }
  std::string Describe() const override { return "fake"; }

  std::deque<base::Result<SendResult>> script;
  std::vector<std::string> delivered;
  std::vector<std::string> received;  // delivered or not
  std::vector<std::size_t> batches;
  int calls = 0;
};

base::Result<SendResult> Down() {
  return base::MakeError(base::Code::kUnavailable, "connection refused");
}

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : env_(base::NewMemEnv()) { EXPECT_TRUE(env_->CreateDirs("/run")); }

  std::unique_ptr<Agent> Open(AgentOptions options = {}) {
    options.watch = "/log/*.log";
    options.checkpoint_path = "/run/agent.checkpoint";
    options.poll = milliseconds(100);
    if (options.batch.max_records == BatchLimits{}.max_records) options.batch.max_records = 3;
    auto agent = Agent::Open(fs_, *env_, clock_, sink_, options);
    EXPECT_TRUE(agent) << agent.error().ToString();
    return std::move(*agent);
  }

  // Runs rounds until nothing is due, sleeping on the fake clock.
  void Settle(Agent& agent, int rounds = 20) {
    for (int i = 0; i < rounds; ++i) {
      auto wait = agent.Step(stop_);
      ASSERT_TRUE(wait) << wait.error().ToString();
      clock_.Advance(std::chrono::microseconds(*wait / 1000 + 1));
    }
  }

  MemTailFs fs_;
  std::unique_ptr<base::Env> env_;
  base::FakeClock clock_{1'700'000'000'000'000};
  FakeSink sink_;
  std::atomic<bool> stop_{false};
};

TEST_F(AgentTest, BatchesByCountAndByAge) {
  fs_.Write("/log/a.log", "1\n2\n3\n4\n");
  AgentOptions options;
  options.batch.max_age = milliseconds(500);
  auto agent = Open(options);
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_EQ(sink_.batches, std::vector<std::size_t>{3});  // full at 3 lines
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_EQ(sink_.batches.size(), 1u);  // "4" waits for its batch to age
  clock_.Advance(milliseconds(499));
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_EQ(sink_.batches.size(), 1u);
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_EQ(sink_.batches, (std::vector<std::size_t>{3, 1}));
  EXPECT_EQ(sink_.delivered, (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(agent->stats().checkpoints_written, 2u);
}

TEST_F(AgentTest, RetriesWithBackoffAndCheckpointsOnlyDeliveredLines) {
  fs_.Write("/log/a.log", "1\n2\n3\n");
  sink_.script = {Down(), Down(), Down(), SendResult{}};
  AgentOptions options;
  options.backoff = {milliseconds(100), milliseconds(250)};
  auto agent = Open(options);
  const std::int64_t before = clock_.MonotonicNanos();
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_EQ(sink_.calls, 4);
  // Three waits: at least 50 + 100 + 125 ms, at most 100 + 200 + 250 ms.
  const std::int64_t waited_ms = (clock_.MonotonicNanos() - before) / 1'000'000;
  EXPECT_GE(waited_ms, 275);
  EXPECT_LE(waited_ms, 551);
  EXPECT_EQ(agent->stats().failed_sends, 3u);
  auto checkpoint = LoadCheckpoint(*env_, "/run/agent.checkpoint");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ((*checkpoint)[0].offset, 6u);
}

TEST_F(AgentTest, ResendsOnlyTheRecordsThatFailed) {
  fs_.Write("/log/a.log", "1\n2\n3\n");
  sink_.script = {SendResult{{0, 2}, 0}, SendResult{{1}, 0}, SendResult{}};
  auto agent = Open();
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_EQ(sink_.batches, (std::vector<std::size_t>{3, 2, 1}));
  EXPECT_EQ(sink_.delivered, (std::vector<std::string>{"2", "1", "3"}));
  EXPECT_EQ(agent->stats().lines_sent, 3u);
}

TEST_F(AgentTest, ARefusedRequestIsFatal) {
  fs_.Write("/log/a.log", "1\n2\n3\n");
  sink_.script = {base::FailedPrecondition("415 unsupported media type")};
  auto agent = Open();
  auto step = agent->Step(stop_);
  ASSERT_FALSE(step);
  EXPECT_EQ(step.error().code(), base::Code::kFailedPrecondition);
}

TEST_F(AgentTest, ARestartResendsAtMostTheBatchInFlight) {
  fs_.Write("/log/a.log", "1\n2\n3\n4\n5\n6\n7\n");
  {
    auto agent = Open();
    // The second batch (4, 5, 6) reaches the server, but the agent dies
    // before it hears so.
    sink_.script = {SendResult{}, base::MakeError(base::Code::kInternal, "killed")};
    ASSERT_TRUE(agent->Step(stop_));
    ASSERT_FALSE(agent->Step(stop_));
  }
  EXPECT_EQ(sink_.received, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
  sink_.received.clear();
  fs_.Write("/log/a.log", "8\n");
  auto restarted = Open();
  Settle(*restarted);
  EXPECT_EQ(sink_.received, (std::vector<std::string>{"4", "5", "6", "7", "8"}));
}

TEST_F(AgentTest, StopFlushesTheBatchAndWritesTheCheckpoint) {
  fs_.Write("/log/a.log", "1\n2\n");
  AgentOptions options;
  options.batch.max_age = milliseconds(60'000);
  auto agent = Open(options);
  ASSERT_TRUE(agent->Step(stop_));
  EXPECT_TRUE(sink_.delivered.empty());
  stop_ = true;
  ASSERT_TRUE(agent->Run(stop_));
  EXPECT_EQ(sink_.delivered, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ((*LoadCheckpoint(*env_, "/run/agent.checkpoint"))[0].offset, 4u);
}

TEST_F(AgentTest, StopGivesUpOnADeadServerAfterTheStopTimeout) {
  fs_.Write("/log/a.log", "1\n2\n");
  for (int i = 0; i < 100; ++i) sink_.script.push_back(Down());
  AgentOptions options;
  options.stop_timeout = milliseconds(2000);
  auto agent = Open(options);
  ASSERT_TRUE(agent->Step(stop_));  // reads both lines; the batch is not due yet
  stop_ = true;
  const std::int64_t before = clock_.MonotonicNanos();
  ASSERT_TRUE(agent->Run(stop_));
  EXPECT_LE(clock_.MonotonicNanos() - before, 2'000'000'000);
  EXPECT_TRUE(sink_.delivered.empty());
  // Nothing was acknowledged: a restart sends both lines.
  auto checkpoint = LoadCheckpoint(*env_, "/run/agent.checkpoint");
  ASSERT_TRUE(checkpoint);
  ASSERT_EQ(checkpoint->size(), 1u);
  EXPECT_EQ((*checkpoint)[0].offset, 0u);
}

TEST_F(AgentTest, FollowsRotationAcrossRestarts) {
  fs_.Write("/log/a.log", "1\n2\n3\n");
  {
    auto agent = Open();
    Settle(*agent);
  }
  fs_.Write("/log/a.log", "4\n");
  fs_.Rename("/log/a.log", "/log/a.log.1");
  fs_.Write("/log/a.log", "5\n");
  auto agent = Open();
  Settle(*agent);
  // The old file, rotated out of the glob while the agent was down, is
  // found beside its old path and finished first.
  EXPECT_EQ(sink_.delivered, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

}  // namespace
}  // namespace promorec::agent
