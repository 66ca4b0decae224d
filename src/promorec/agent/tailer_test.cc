#include "promorec/agent/tailer.h"

#include <gtest/gtest.h>

#include "promorec/agent/sink.h"
#include "promorec/agent/tail_fs_test_util.h"
#include "promorec/event/delimited.h"

namespace promorec::agent {
namespace {

// Takes up to `room` lines, then refuses.
class Collect final : public LineSink {
 public:
  explicit Collect(std::size_t room = 1000) : room_(room) {}
  bool Offer(std::string_view line) override {
    if (lines.size() >= room_) return false;
    lines.emplace_back(line);
    return true;
  }
  std::vector<std::string> Take() { return std::exchange(lines, {}); }
  std::vector<std::string> lines;

 private:
  std::size_t room_;
};

using Lines = std::vector<std::string>;

class TailerTest : public ::testing::Test {
 protected:
  // Scans, reads everything and acknowledges it.
  Lines Poll(Tailer& tailer) {
    EXPECT_TRUE(tailer.Scan());
    Collect sink;
    EXPECT_TRUE(tailer.Read(sink));
    tailer.AcknowledgeRead();
    return sink.Take();
  }

  MemTailFs fs_;
};

TEST_F(TailerTest, ReadsWholeLinesAndWaitsForAPartialOne) {
  fs_.Write("/log/a.log", "one\r\ntwo\nthr");
  Tailer tailer(fs_, "/log/*.log", {}, {});
  EXPECT_EQ(Poll(tailer), (Lines{"one\r", "two"}));
  EXPECT_EQ(Poll(tailer), Lines{});
  fs_.Write("/log/a.log", "ee\n\n  \nfour\n");
  EXPECT_EQ(Poll(tailer), (Lines{"three", "four"}));
  EXPECT_EQ(tailer.stats().lines_skipped, 2u);
  auto checkpoint = tailer.Checkpoint();
  ASSERT_TRUE(checkpoint);
  ASSERT_EQ(checkpoint->size(), 1u);
  EXPECT_EQ((*checkpoint)[0].offset, 24u);
  EXPECT_EQ((*checkpoint)[0].path, "/log/a.log");
}

TEST_F(TailerTest, StopsWhenTheSinkIsFullAndContinuesThere) {
  fs_.Write("/log/a.log", "1\n2\n3\n4\n5\n");
  Tailer tailer(fs_, "/log/*.log", {}, {});
  ASSERT_TRUE(tailer.Scan());
  Collect two(2);
  EXPECT_EQ(tailer.Read(two), true);
  EXPECT_EQ(two.lines, (Lines{"1", "2"}));
  tailer.AcknowledgeRead();
  EXPECT_EQ((*tailer.Checkpoint())[0].offset, 4u);
  Collect rest;
  EXPECT_EQ(tailer.Read(rest), false);
  EXPECT_EQ(rest.lines, (Lines{"3", "4", "5"}));
  // Not acknowledged: the checkpoint stays before line 3.
  EXPECT_EQ((*tailer.Checkpoint())[0].offset, 4u);
}

TEST_F(TailerTest, RotationFinishesTheOldFileThenReadsTheNewOne) {
  fs_.Write("/log/clicks.log", "a1\na2\n");
  Tailer tailer(fs_, "/log/clicks.log", {}, {});
  EXPECT_EQ(Poll(tailer), (Lines{"a1", "a2"}));
  // The logger writes more, rotation renames the file away, the logger
  // finishes its last line in the old file and starts a new one.
  fs_.Write("/log/clicks.log", "a3\na4");
  fs_.Rename("/log/clicks.log", "/log/clicks.log.1");
  fs_.Write("/log/clicks.log.1", "\n");
  fs_.Write("/log/clicks.log", "b1\n");
  EXPECT_EQ(Poll(tailer), (Lines{"a3", "a4", "b1"}));
  EXPECT_EQ(tailer.file_count(), 2u);
  fs_.Write("/log/clicks.log", "b2\n");
  EXPECT_EQ(Poll(tailer), (Lines{"b2"}));
  EXPECT_EQ(Poll(tailer), Lines{});
  EXPECT_EQ(tailer.file_count(), 1u);
  EXPECT_EQ(tailer.stats().rotations, 1u);
  EXPECT_EQ((*tailer.Checkpoint())[0].path, "/log/clicks.log");
}

TEST_F(TailerTest, TheUnterminatedLastLineOfARotatedFileIsSent) {
  fs_.Write("/log/clicks.log", "a1\na2");
  Tailer tailer(fs_, "/log/clicks.log", {}, {});
  EXPECT_EQ(Poll(tailer), (Lines{"a1"}));
  fs_.Rename("/log/clicks.log", "/log/old");
  EXPECT_EQ(Poll(tailer), Lines{});  // the writer may still finish it
  EXPECT_EQ(Poll(tailer), (Lines{"a2"}));
  EXPECT_EQ(Poll(tailer), Lines{});
  EXPECT_EQ(tailer.file_count(), 0u);
}

TEST_F(TailerTest, ARenameWithinTheGlobKeepsTheFileAndItsPlace) {
  fs_.Write("/log/c.log", "1\n");
  Tailer tailer(fs_, "/log/c.log*", {}, {});
  EXPECT_EQ(Poll(tailer), (Lines{"1"}));
  fs_.Write("/log/c.log", "2\n");
  fs_.Rename("/log/c.log", "/log/c.log.1");
  fs_.Write("/log/c.log", "3\n");
  EXPECT_EQ(Poll(tailer), (Lines{"2", "3"}));
  auto checkpoint = tailer.Checkpoint();
  ASSERT_EQ(checkpoint->size(), 2u);
  EXPECT_EQ((*checkpoint)[0].path, "/log/c.log.1");
  EXPECT_EQ((*checkpoint)[1].path, "/log/c.log");
}

TEST_F(TailerTest, TruncationStartsAgainFromTheBeginning) {
  fs_.Write("/log/a.log", "old1\nold2\n");
  Tailer tailer(fs_, "/log/a.log", {}, {});
  EXPECT_EQ(Poll(tailer), (Lines{"old1", "old2"}));
  fs_.Truncate("/log/a.log", 0);
  fs_.Write("/log/a.log", "new\n");
  EXPECT_EQ(Poll(tailer), (Lines{"new"}));
  EXPECT_EQ(tailer.stats().truncations, 1u);
  EXPECT_EQ((*tailer.Checkpoint())[0].offset, 4u);
}

TEST_F(TailerTest, ResumesFromACheckpointWithoutDuplicates) {
  fs_.Write("/log/a.log", "1\n2\n");
  std::vector<CheckpointEntry> checkpoint;
  {
    Tailer tailer(fs_, "/log/*.log", {}, {});
    EXPECT_EQ(Poll(tailer), (Lines{"1", "2"}));
    checkpoint = *tailer.Checkpoint();
  }
  fs_.Write("/log/a.log", "3\n");
  fs_.Write("/log/b.log", "b\n");
  Tailer resumed(fs_, "/log/*.log", {}, checkpoint);
  EXPECT_EQ(Poll(resumed), (Lines{"3", "b"}));
}

TEST_F(TailerTest, ACheckpointedInodeNumberOnAnotherFileIsNotTrusted) {
  fs_.Write("/log/a.log", "first file\n");
  std::vector<CheckpointEntry> checkpoint;
  {
    Tailer tailer(fs_, "/log/*.log", {}, {});
    EXPECT_EQ(Poll(tailer), (Lines{"first file"}));
    checkpoint = *tailer.Checkpoint();
  }
  const FileId id = fs_.IdOf("/log/a.log");
  fs_.Remove("/log/a.log");
  fs_.ReuseInode(id.inode);
  fs_.Write("/log/b.log", "other content here\n");
  ASSERT_EQ(fs_.IdOf("/log/b.log"), id);
  Tailer resumed(fs_, "/log/*.log", {}, checkpoint);
  EXPECT_EQ(Poll(resumed), (Lines{"other content here"}));
}

TEST_F(TailerTest, ACheckpointBeyondTheEndMeansTheFileWasTruncated) {
  fs_.Write("/log/a.log", "1234567890\n");
  Tailer tailer(fs_, "/log/a.log", {}, {});
  Poll(tailer);
  auto checkpoint = *tailer.Checkpoint();
  fs_.Truncate("/log/a.log", 0);
  fs_.Write("/log/a.log", "x\n");
  Tailer resumed(fs_, "/log/a.log", {}, checkpoint);
  EXPECT_EQ(Poll(resumed), (Lines{"x"}));
}

TEST_F(TailerTest, SkipsOverlongLinesAndHeaders) {
  TailerOptions options;
  options.max_line_bytes = 15;
  options.read_chunk_bytes = 3;
  options.skip_line = &event::IsClassicHeaderLine;
  fs_.Write("/log/a.log", "userid,offerid\nshort\n0123456789abcdef\nok\n12345678\n");
  Tailer tailer(fs_, "/log/a.log", options, {});
  EXPECT_EQ(Poll(tailer), (Lines{"short", "ok", "12345678"}));
  EXPECT_EQ(tailer.stats().lines_too_long, 1u);
  EXPECT_EQ(tailer.stats().lines_skipped, 1u);
  fs_.Write("/log/a.log", std::string(30, 'z'));
  EXPECT_EQ(Poll(tailer), Lines{});
  fs_.Write("/log/a.log", "zz\nafter\n");
  EXPECT_EQ(Poll(tailer), (Lines{"after"}));
  EXPECT_EQ(tailer.stats().lines_too_long, 2u);
}

TEST_F(TailerTest, NewFilesAreReadOldestFirst) {
  fs_.Write("/log/b.log", "older\n");
  fs_.Write("/log/a.log", "newer\n");
  Tailer tailer(fs_, "/log/*.log", {}, {});
  EXPECT_EQ(Poll(tailer), (Lines{"older", "newer"}));
}

}  // namespace
}  // namespace promorec::agent
