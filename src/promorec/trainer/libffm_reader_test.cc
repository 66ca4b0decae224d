#include "promorec/trainer/libffm_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "promorec/base/golden_test_util.h"
#include "promorec/base/mem_env.h"

namespace promorec::trainer {
namespace {

TEST(LibffmReaderTest, ParsesLabelsAndFeatures) {
  std::vector<model::Feature> features;
  auto label = ParseLibffmLine("1 0:3:1 2:17:0.25\t5:9:1", &features);
  ASSERT_TRUE(label) << label.error();
  EXPECT_EQ(*label, 1.0f);
  ASSERT_EQ(features.size(), 3u);
  EXPECT_EQ(features[1].field, 2u);
  EXPECT_EQ(features[1].index, 17u);
  EXPECT_EQ(features[1].value, 0.25f);
  features.clear();
  EXPECT_EQ(ParseLibffmLine("-1 0:1:1", &features), 0.0f);
  EXPECT_EQ(ParseLibffmLine("0", &features), 0.0f) << "a row may have no features";
}

TEST(LibffmReaderTest, ErrorsNameTokenAndReason) {
  std::vector<model::Feature> f;
  EXPECT_EQ(ParseLibffmLine("2 0:1:1", &f).error(), "label '2' must be 1, 0 or -1");
  EXPECT_EQ(ParseLibffmLine("1 0:a:1", &f).error(),
            "token 2 '0:a:1': index is not a whole number below 2^32");
  EXPECT_EQ(ParseLibffmLine("1 0:1", &f).error(), "token 2 '0:1': expected field:index:value");
  EXPECT_EQ(ParseLibffmLine("1 0:1:inf", &f).error(),
            "token 2 '0:1:inf': value is not a finite number");
}

TEST(LibffmReaderTest, BulkReadSkipsBadLinesOrStops) {
  auto env = base::NewMemEnv();
  ASSERT_TRUE(base::WriteFileAtomically(*env, "/t.ffm", "1 0:0:1 1:2:1\nbad\n0 0:1:1\n"));
  Dataset data;
  auto report = ReadLibffmFile(*env, "/t.ffm", &data, false);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->rows_read, 3u);
  EXPECT_EQ(report->accepted, 2u);
  EXPECT_EQ(report->rejected, 1u);
  EXPECT_EQ(report->errors[0], "/t.ffm:2: label 'bad' must be 1, 0 or -1");
  EXPECT_EQ(data.rows(), 2u);
  EXPECT_EQ(data.num_fields(), 2u);
  EXPECT_EQ(data.num_features(), 3u);
  EXPECT_EQ(data.index_at(data.row_begin(1)), 1u);
  EXPECT_EQ(data.label(0), 1.0f);
  Dataset strict;
  auto stopped = ReadLibffmFile(*env, "/t.ffm", &strict, true);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().message(), "/t.ffm:2: label 'bad' must be 1, 0 or -1");
}

TEST(LibffmReaderTest, ThreadsKeepOrderAndLineNumbers) {
  auto env = base::NewMemEnv();
  std::string text;
  for (int i = 0; i < 500; ++i) {
    text += (i % 97 == 13) ? "x 0:1:1\n" : (i % 50 == 7 ? "\n" : "");
    text += std::to_string(i % 2) + " 0:" + std::to_string(i) + ":1 1:" + std::to_string(i + 1000) +
            ":0.5\n";
  }
  ASSERT_TRUE(base::WriteFileAtomically(*env, "/big.ffm", text));
  Dataset one, many;
  auto a = ReadLibffmFile(*env, "/big.ffm", &one, false, 1);
  auto b = ReadLibffmFile(*env, "/big.ffm", &many, false, 4, 1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->errors, b->errors);
  // Line 15: 13 rows before it and a blank line after row 7.
  EXPECT_EQ(a->errors.front(), "/big.ffm:15: label 'x' must be 1, 0 or -1");
  EXPECT_EQ(a->rejected, 6u);
  EXPECT_EQ(b->accepted, 500u);
  ASSERT_EQ(many.rows(), 500u);
  for (std::size_t r = 0; r < 500; ++r) {
    ASSERT_EQ(many.index_at(many.row_begin(r)), r);
    ASSERT_EQ(many.label(r), one.label(r));
    ASSERT_EQ(many.value_at(many.row_begin(r) + 1), 0.5f);
  }
  Dataset strict;
  auto stopped = ReadLibffmFile(*env, "/big.ffm", &strict, true, 4, 1);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().message(), "/big.ffm:15: label 'x' must be 1, 0 or -1");
}

// Every input under tests/corpus/libffm/ gives exactly the report in the
// .expected file beside it. PROMOREC_UPDATE_GOLDEN=1 rewrites them.
TEST(LibffmReaderTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/libffm";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".ffm") continue;
    Dataset data;
    auto report = ReadLibffmFile(base::DefaultEnv(), entry.path().string(), &data, false);
    ASSERT_TRUE(report);
    std::string actual;
    for (const std::string& e : report->errors) {
      actual += e.substr(e.find(entry.path().filename().string())) + "\n";
    }
    actual += "accepted " + std::to_string(report->accepted) + " of " +
              std::to_string(report->rows_read) + "\n";
    fs::path expected_path = entry.path();
    expected_path.replace_extension(".expected");
    testing::ExpectGolden(expected_path, actual, entry.path());
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

}  // namespace
}  // namespace promorec::trainer
