#include "promorec/lake/journal_format.h"

#include <gtest/gtest.h>

#include <string>

#include "promorec/testing/golden.h"

namespace promorec::lake {
namespace {

constexpr std::int64_t kHour = 3'600'000'000LL;

CommitRecord Commit(std::uint64_t id, std::uint64_t first, std::uint64_t last) {
  return CommitRecord{id,
                      1'796'674'503'000'000,
                      {{0, first, last}},
                      {{499'076 * kHour, last - first + 1, 100, 0xabcdef01}}};
}

std::string Journal() {
  return EncodeJournalHeader("clicks") + EncodeSnapshotRecord({3, {7, 0}}) +
         EncodeCommitRecord(Commit(3, 8, 10)) +
         EncodeCommitRecord(CommitRecord{
             4, 5, {{0, 11, 11}, {1, 1, 4}}, {{100 * kHour, 2, 50, 1}, {101 * kHour, 3, 60, 2}}});
}

TEST(JournalFormatTest, RoundTrip) {
  auto contents = DecodeJournal(Journal());
  ASSERT_TRUE(contents.has_value()) << contents.error().ToString();
  EXPECT_EQ(contents->table, "clicks");
  EXPECT_EQ(contents->snapshot, (JournalSnapshot{3, {7, 0}}));
  ASSERT_EQ(contents->commits.size(), 2u);
  EXPECT_EQ(contents->commits[0], Commit(3, 8, 10));
  EXPECT_EQ(contents->state, (JournalSnapshot{5, {11, 4}}));
  EXPECT_EQ(contents->valid_bytes, Journal().size());
  EXPECT_EQ(contents->dropped_tail_bytes, 0u);
}

TEST(JournalFormatTest, EveryCutInTheLastRecordIsATornTail) {
  const std::string full = Journal();
  const std::string before_last = EncodeJournalHeader("clicks") +
                                  EncodeSnapshotRecord({3, {7, 0}}) +
                                  EncodeCommitRecord(Commit(3, 8, 10));
  for (std::size_t cut = before_last.size() + 1; cut < full.size(); ++cut) {
    auto contents = DecodeJournal(std::string_view(full).substr(0, cut));
    ASSERT_TRUE(contents.has_value()) << cut << ": " << contents.error().ToString();
    EXPECT_EQ(contents->commits.size(), 1u);
    EXPECT_EQ(contents->valid_bytes, before_last.size());
    EXPECT_EQ(contents->dropped_tail_bytes, cut - before_last.size());
    EXPECT_EQ(contents->state, (JournalSnapshot{4, {10, 0}}));
  }
}

TEST(JournalFormatTest, AFlippedBitIsNeverSilentlyAccepted) {
  const std::string full = Journal();
  const auto good = DecodeJournal(full).value();
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string damaged = full;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      auto contents = DecodeJournal(damaged);
      if (!contents) {
        EXPECT_EQ(contents.error().code(), base::Code::kCorruption);
        continue;
      }
      // Damage can only pass as a torn tail (a damaged length field reads
      // as a record cut short), which drops records but never changes
      // them. The writer's open then finds the dropped commit's data files
      // and refuses to start (RecoverFiles).
      EXPECT_GT(contents->dropped_tail_bytes, 0u) << "byte " << i;
      ASSERT_LT(contents->commits.size(), good.commits.size()) << "byte " << i;
      for (std::size_t c = 0; c < contents->commits.size(); ++c) {
        EXPECT_EQ(contents->commits[c], good.commits[c]) << "byte " << i;
      }
    }
  }
}

TEST(JournalFormatTest, ApplyCommitChecksTheRules) {
  JournalSnapshot state{3, {7, 0}};
  EXPECT_EQ(ApplyCommit(Commit(2, 8, 9), &state).error().message(),
            "COMMIT 2: id is below the next commit id 3");
  EXPECT_EQ(ApplyCommit(Commit(3, 7, 9), &state).error().message(),
            "COMMIT 3: shard 0 range starts at 7, not above sequence 7 already in the lake");
  ASSERT_TRUE(ApplyCommit(Commit(3, 8, 9), &state).has_value());
  EXPECT_EQ(state, (JournalSnapshot{4, {9, 0}}));
}

std::string DescribeJournal(const std::string& bytes) {
  auto contents = DecodeJournal(bytes);
  if (!contents) return "error: " + contents.error().message() + "\n";
  std::string out = "ok: table " + contents->table + ", " +
                    std::to_string(contents->commits.size()) + " commits, next commit " +
                    std::to_string(contents->state.next_commit) + ", last sequences";
  for (const std::uint64_t last : contents->state.last_sequence) out += " " + std::to_string(last);
  out += ", torn tail " + std::to_string(contents->dropped_tail_bytes) + " bytes\n";
  return out;
}

TEST(JournalFormatTest, Corpus) {
  EXPECT_GE(promorec::testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/lake_journal",
                                           ".journal", DescribeJournal),
            20);
}

}  // namespace
}  // namespace promorec::lake
