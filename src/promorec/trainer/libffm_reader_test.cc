#include "promorec/trainer/libffm_reader.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "promorec/base/mem_env.h"
#include "promorec/testing/golden.h"

namespace promorec::trainer {
namespace {

TEST(LibffmReaderTest, ParsesLabelsAndFeatures) {
  std::vector<model::Feature> features;
  auto label = ParseLibffmLine("1 0:3:1 2:17:0.25\t5:9:1", &features);
  ASSERT_TRUE(label) << label.error().message();
  EXPECT_EQ(*label, 1.0f);
  ASSERT_EQ(features.size(), 3u);
  EXPECT_EQ(features[1].field, 2u);
  EXPECT_EQ(features[1].index, 17u);
  EXPECT_EQ(features[1].value, 0.25f);
  features.clear();
  EXPECT_EQ(ParseLibffmLine("-1 0:1:1", &features), 0.0f);
  EXPECT_EQ(ParseLibffmLine("0", &features), 0.0f) << "a row may have no features";
}

// Regression targets: any finite number, "-1" included, read as it is,
// by the fast parser and the reference alike.
TEST(LibffmReaderTest, RealLabelsAreReadAsNumbers) {
  constexpr auto kReal = LibffmLabels::kReal;
  for (const auto parse : {&ParseLibffmLine, &ParseLibffmLineReference}) {
    std::vector<model::Feature> f;
    EXPECT_EQ(parse("3.5 0:1:1", &f, kReal), 3.5f);
    EXPECT_EQ(parse("-1 0:1:1", &f, kReal), -1.0f);
    EXPECT_EQ(parse("+2 0:1:1", &f, kReal), 2.0f);
    EXPECT_EQ(parse("1 0:1:1", &f, kReal), 1.0f);
    EXPECT_EQ(parse("0 0:1:1", &f, kReal), 0.0f);
    EXPECT_EQ(parse("-0.25e1", &f, kReal), -2.5f);
    EXPECT_EQ(parse("+-1 0:1:1", &f, kReal).error().message(),
              "label '+-1' is not a finite number");
    EXPECT_EQ(parse("nan 0:1:1", &f, kReal).error().message(),
              "label 'nan' is not a finite number");
    EXPECT_EQ(parse("1e999 0:1:1", &f, kReal).error().message(),
              "label '1e999' is not a finite number");
    EXPECT_EQ(parse("x 0:1:1", &f, kReal).error().message(), "label 'x' is not a finite number");
    EXPECT_EQ(parse("3.5 0:1:1", &f, LibffmLabels::kClicks).error().message(),
              "label '3.5' must be 1, 0 or -1");
  }
}

TEST(LibffmReaderTest, ErrorsNameTokenAndReason) {
  std::vector<model::Feature> f;
  EXPECT_EQ(ParseLibffmLine("2 0:1:1", &f).error().message(), "label '2' must be 1, 0 or -1");
  EXPECT_EQ(ParseLibffmLine("1 0:a:1", &f).error().message(),
            "token 2 '0:a:1': index is not a whole number below 2^32");
  EXPECT_EQ(ParseLibffmLine("1 0:1", &f).error().message(),
            "token 2 '0:1': expected field:index:value");
  EXPECT_EQ(ParseLibffmLine("1 0:1:inf", &f).error().message(),
            "token 2 '0:1:inf': value is not a finite number");
}

// ParseLibffmLine and ParseLibffmLineReference give the same label or the
// same error text, and append the same features (value compared bit for
// bit), for valid lines and for lines that are bad in many ways.
TEST(LibffmReaderTest, FastParserAgreesWithReference) {
  using namespace std::string_view_literals;
  const std::vector<std::string_view> lines = {
      // Accepted.
      "1 0:3:1 2:17:0.25\t5:9:1",
      "0 0:0:1 1:1:1 2:2:1 3:3:1 4:4:1 5:5:1",
      "-1 1:2:1",
      "+1 1:2:1",
      "0",
      "  1\t\t0007:000042:1\r",
      "1 1:2:1\r",
      "\t0 1:2:1.0 3:4:1e0 5:6:0.5 7:8:-2.5 9:10:1E+2",
      "1 1:2:1 ",
      "1 1023:4294967295:1",
      "1 0:0:0",
      "1 00000000000000000000001023:00000000000000000004294967295:1",
      "1 1:2:01",
      "1 1:2:1.",
      "1 1:2:.5",
      "1 1:2:-0",
      // Rejected.
      "1 1:4294967296:1",
      "1 1:99999999999999999999:1",
      "1 1:2",
      "1 1:2:3:4",
      "1 1024:2:1",
      "1 99999999999:2:1",
      "1 +1:2:3",
      "1 1:-2:3",
      "1 -1:2:3",
      "1 1:+2:3",
      "1 1:2:nan",
      "1 1:2:inf",
      "1 1:2:-inf",
      "1 1:2:1e50",
      "1 1:2:+1",
      "1 1:2:0x1",
      "1 1:2:",
      "1 :2:3",
      "1 1::3",
      "1 1:2:1:",
      "1 1:2:1x",
      "1 1:2:1\n",
      "1 1:2:1\v",
      "1 1a:2:1",
      "1 1:2a:1",
      "1 0:1:1 2:3:1 x",
      "1 0:1:1 2:3:bad 4:5:1",
      "",
      "   ",
      "\t\r ",
      "2 0:1:1",
      "1x 0:1:1",
      "1:",
      "+ 0:1:1",
      "- 0:1:1",
      "+0 0:1:1",
      "-0 0:1:1",
      "01 0:1:1",
      "1\n0:1:1",
      "\0"sv,
      "1 0:1:1\0"sv,
  };
  for (const std::string_view line : lines) {
    SCOPED_TRACE(::testing::Message() << "line '" << line << "'");
    const std::vector<model::Feature> prefix = {{7, 8, 0.75f}};
    std::vector<model::Feature> fast = prefix;
    std::vector<model::Feature> reference = prefix;
    const auto fast_label = ParseLibffmLine(line, &fast);
    const auto reference_label = ParseLibffmLineReference(line, &reference);
    ASSERT_EQ(fast_label.has_value(), reference_label.has_value());
    if (fast_label) {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(*fast_label),
                std::bit_cast<std::uint32_t>(*reference_label));
    } else {
      EXPECT_EQ(fast_label.error(), reference_label.error());
    }
    ASSERT_EQ(fast.size(), reference.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].field, reference[i].field) << "feature " << i;
      EXPECT_EQ(fast[i].index, reference[i].index) << "feature " << i;
      EXPECT_EQ(std::bit_cast<std::uint32_t>(fast[i].value),
                std::bit_cast<std::uint32_t>(reference[i].value))
          << "feature " << i;
    }
  }
  // A few of the lines above, checked against known results.
  std::vector<model::Feature> f;
  ASSERT_EQ(ParseLibffmLine("1 1023:4294967295:1", &f), 1.0f);
  EXPECT_EQ(f.back().index, 4294967295u);
  EXPECT_EQ(ParseLibffmLine("1 1:4294967296:1", &f).error().message(),
            "token 2 '1:4294967296:1': index is not a whole number below 2^32");
  EXPECT_EQ(ParseLibffmLine("1 1024:2:1", &f).error().message(),
            "token 2 '1024:2:1': field is above 1023");
  EXPECT_EQ(ParseLibffmLine(" \t", &f).error().message(), "empty line");
  f.clear();
  EXPECT_FALSE(ParseLibffmLine("1 0:1:1 2:3:bad 4:5:1", &f));
  EXPECT_EQ(f.size(), 1u) << "features before the bad token stay, as in the reference";
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
