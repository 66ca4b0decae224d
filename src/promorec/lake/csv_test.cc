#include "promorec/lake/csv.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "promorec/testing/golden.h"

namespace promorec::lake {
namespace {

std::string Field(std::string_view value, bool force = false) {
  std::string out;
  AppendCsvField(value, force, &out);
  return out;
}

TEST(CsvTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(Field("plain text"), "plain text");
  EXPECT_EQ(Field("a,b"), "\"a,b\"");
  EXPECT_EQ(Field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(Field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(Field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(Field("Grüße, 東京"), "\"Grüße, 東京\"");
  EXPECT_EQ(Field(""), "");
  EXPECT_EQ(Field("", /*force=*/true), "\"\"");
}

TEST(CsvTest, ParseTellsNullFromEmpty) {
  auto records = ParseCsv("a,,\"\"\n");
  ASSERT_TRUE(records.has_value()) << records.error().ToString();
  ASSERT_EQ(records->size(), 1u);
  const CsvRecord& r = records->front();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], "a");
  EXPECT_FALSE(r[1].has_value());
  EXPECT_EQ(r[2], "");
}

TEST(CsvTest, ParseAcceptsCrlfAndAMissingLastLineFeed) {
  auto records = ParseCsv("a,b\r\nc,d");
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[1][1], "d");
  EXPECT_EQ(ParseCsv("")->size(), 0u);
}

TEST(CsvTest, RoundTripOfRandomRecords) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab,\"\n\r x") + "\xc3\xa9";
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<std::vector<std::string>> rows(1 + rng() % 4);
    std::string text;
    for (auto& row : rows) {
      row.resize(1 + rng() % 5);
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::size_t len = rng() % 8;
        for (std::size_t j = 0; j < len; ++j) row[i].push_back(alphabet[rng() % alphabet.size()]);
        if (i > 0) text += ',';
        AppendCsvField(row[i], /*force_quotes=*/row[i].empty(), &text);
      }
      text += '\n';
    }
    auto parsed = ParseCsv(text);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    ASSERT_EQ(parsed->size(), rows.size());
    EXPECT_EQ(CountCsvRecords(text).value(), rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      ASSERT_EQ((*parsed)[r].size(), rows[r].size());
      for (std::size_t i = 0; i < rows[r].size(); ++i) EXPECT_EQ((*parsed)[r][i], rows[r][i]);
    }
  }
}

TEST(CsvTest, ErrorsSayWhereAndWhy) {
  EXPECT_EQ(ParseCsv("a,b\nc\"d\n").error().message(),
            "csv record 2 (starting at byte 4): quote inside an unquoted field at byte 5");
  EXPECT_EQ(ParseCsv("\"abc\"d\n").error().message(),
            "csv record 1 (starting at byte 0): text after the closing quote of a field at byte 5");
  EXPECT_EQ(ParseCsv("x\n\"open").error().message(),
            "csv record 2 (starting at byte 2): quoted field is not closed before the end of the "
            "text at byte 2");
  EXPECT_EQ(
      ParseCsv("a\rb").error().message(),
      "csv record 1 (starting at byte 0): carriage return not followed by line feed at byte 1");
  EXPECT_EQ(CountCsvRecords("\"x").error().code(), base::Code::kCorruption);
}

std::string DescribeCsv(const std::string& bytes) {
  auto records = ParseCsv(bytes);
  if (!records) return "error: " + records.error().message() + "\n";
  std::string out = "ok: " + std::to_string(records->size()) + " records\n";
  for (const CsvRecord& record : *records) {
    for (std::size_t i = 0; i < record.size(); ++i) {
      out += i == 0 ? "  " : " | ";
      if (!record[i]) {
        out += "NULL";
        continue;
      }
      out += "[";
      for (const char c : *record[i]) {
        if (c == '\n') {
          out += "\\n";
        } else if (c == '\r') {
          out += "\\r";
        } else {
          out.push_back(c);
        }
      }
      out += "]";
    }
    out += "\n";
  }
  return out;
}

TEST(CsvTest, Corpus) {
  EXPECT_GE(promorec::testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/lake_csv", ".csv",
                                           DescribeCsv),
            6);
}

}  // namespace
}  // namespace promorec::lake
