#include "promorec/sim/dataset.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "promorec/base/mem_env.h"
#include "promorec/event/delimited.h"
#include "promorec/event/json_codec.h"

namespace promorec::sim {
namespace {

GeneratorConfig Config() {
  GeneratorConfig config;
  config.rows = 5000;
  config.users = 800;
  config.offers = 200;
  config.seed = 21;
  return config;
}

std::string Read(base::Env& env, const std::string& path) {
  auto data = base::ReadFileToString(env, path);
  EXPECT_TRUE(data.has_value()) << path;
  return data ? *data : std::string();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

class DatasetTest : public ::testing::TestWithParam<OutputFormat> {};

TEST_P(DatasetTest, SameConfigSameBytesAndConsistentFiles) {
  const OutputFormat format = GetParam();
  const std::string ext(FileExtension(format));
  auto env = base::NewMemEnv();
  auto first = WriteDataset(*env, "/a", Config(), format);
  auto second = WriteDataset(*env, "/b", Config(), format);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  ASSERT_TRUE(second.has_value());
  std::vector<std::string> names = {"train." + ext, "test." + ext, "test_truth.txt", "meta.json"};
  if (format == OutputFormat::kLibffm) names.push_back("headers.csv");
  for (const std::string& name : names) {
    EXPECT_EQ(Read(*env, "/a/" + name), Read(*env, "/b/" + name)) << name;
  }
  EXPECT_EQ(first->train_rows, 4000u);
  EXPECT_EQ(first->test_rows, 1000u);
  const std::size_t header = format == OutputFormat::kKasandr ? 1 : 0;
  const auto train = Lines(Read(*env, "/a/train." + ext));
  const auto test = Lines(Read(*env, "/a/test." + ext));
  EXPECT_EQ(train.size(), 4000 + header);
  EXPECT_EQ(test.size(), 1000 + header);
  EXPECT_EQ(Lines(Read(*env, "/a/test_truth.txt")).size(), 1000u);
  ASSERT_TRUE(first->oracle_auc.has_value());
  EXPECT_GT(*first->oracle_auc, 0.5);
  EXPECT_GT(first->ClickRate(), 0.05);
  EXPECT_LT(first->ClickRate(), 0.20);
  EXPECT_NE(Read(*env, "/a/meta.json").find("\"oracle_auc\":"), std::string::npos);

  // Every row decodes with the project's own codecs.
  event::ClickEvent event;
  std::string scratch;
  if (format == OutputFormat::kKasandr || format == OutputFormat::kClick) {
    auto layout = format == OutputFormat::kKasandr ? event::ColumnLayout::FromHeader(train[0])
                                                   : event::ColumnLayout::Classic();
    ASSERT_TRUE(layout.has_value());
    for (const auto* lines : {&train, &test}) {
      for (std::size_t i = header; i < lines->size(); ++i) {
        ASSERT_TRUE(event::ParseDelimitedLine(*layout, (*lines)[i], &event, &scratch))
            << (*lines)[i];
      }
    }
    EXPECT_EQ(event.timestamp_us % 1000000, 0);
  } else if (format == OutputFormat::kNdjson) {
    event::JsonEventDecoder decoder;
    for (const auto& line : test) ASSERT_TRUE(decoder.DecodeOne(line, &event)) << line;
  } else {
    const auto headers = Lines(Read(*env, "/a/headers.csv"));
    EXPECT_EQ(headers.size(), first->features);
    EXPECT_EQ(headers[0].rfind("userid_", 0), 0u);
    EXPECT_EQ(train[0].rfind(train[0].substr(0, 1) + " 0:0:1 1:1:1 2:2:1 3:3:1 4:4:1 5:5:1", 0), 0u)
        << train[0];
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, DatasetTest,
                         ::testing::Values(OutputFormat::kKasandr, OutputFormat::kClick,
                                           OutputFormat::kLibffm, OutputFormat::kNdjson));

TEST(DatasetFormatTest, ParseNames) {
  EXPECT_EQ(*ParseOutputFormat("libffm"), OutputFormat::kLibffm);
  EXPECT_FALSE(ParseOutputFormat("csv").has_value());
}

TEST(DatasetFormatTest, InvalidConfigIsInvalidArgument) {
  auto env = base::NewMemEnv();
  GeneratorConfig config = Config();
  config.offers = 0;
  auto result = WriteDataset(*env, "/x", config, OutputFormat::kClick);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), base::Code::kInvalidArgument);
}

TEST(DatasetFormatTest, SingleRowGivesEmptyTestSet) {
  auto env = base::NewMemEnv();
  GeneratorConfig config = Config();
  config.rows = 1;
  auto result = WriteDataset(*env, "/one", config, OutputFormat::kKasandr);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->train_rows, 1u);
  EXPECT_EQ(result->test_rows, 0u);
  EXPECT_FALSE(result->oracle_auc.has_value());
  EXPECT_NE(Read(*env, "/one/meta.json").find("\"oracle_auc\":null"), std::string::npos);
}

}  // namespace
}  // namespace promorec::sim
