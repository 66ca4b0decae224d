#include "promorec/event/line_reader.h"

#include <gtest/gtest.h>

#include "promorec/base/mem_env.h"

namespace promorec::event {
namespace {

std::vector<Line> ReadAll(const std::string& content, std::size_t max_line,
                          std::vector<std::string>* texts) {
  auto env = base::NewMemEnv();
  EXPECT_TRUE(base::WriteFileAtomically(*env, "/f", content));
  auto reader = LineReader::Open(*env, "/f", max_line);
  EXPECT_TRUE(reader);
  std::vector<Line> lines;
  Line line;
  while (true) {
    auto more = (*reader)->Next(&line);
    EXPECT_TRUE(more);
    if (!more || !*more) break;
    lines.push_back(line);
    texts->emplace_back(line.text);
  }
  return lines;
}

TEST(LineReaderTest, NumbersOffsetsAndUnterminatedLastLine) {
  std::vector<std::string> texts;
  auto lines = ReadAll("ab\n\ncde\r\nf", 100, &texts);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(texts, (std::vector<std::string>{"ab", "", "cde\r", "f"}));
  EXPECT_EQ(lines[2].number, 3u);
  EXPECT_EQ(lines[2].offset, 4u);
  EXPECT_EQ(lines[3].offset, 9u);
  EXPECT_TRUE(lines[2].terminated);
  EXPECT_FALSE(lines[3].terminated);
}

TEST(LineReaderTest, LongLinesAreCutAndSkippedWithoutLosingTheNext) {
  const std::string huge(5'000'000, 'x');
  std::vector<std::string> texts;
  auto lines = ReadAll("a\n" + huge + "\nb\n" + huge, 1000, &texts);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(texts[0], "a");
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(lines[1].length, huge.size());
  EXPECT_EQ(texts[1].size(), 1000u);
  EXPECT_EQ(texts[2], "b");
  EXPECT_EQ(lines[2].number, 3u);
  EXPECT_EQ(lines[2].offset, 2 + huge.size() + 1);
  EXPECT_TRUE(lines[3].too_long);
  EXPECT_FALSE(lines[3].terminated);
}

TEST(LineReaderTest, ManyLinesAcrossChunkBoundaries) {
  std::string content;
  for (int i = 0; i < 300000; ++i) content += "line-" + std::to_string(i) + "\n";
  std::vector<std::string> texts;
  auto lines = ReadAll(content, 64, &texts);
  ASSERT_EQ(lines.size(), 300000u);
  for (int i = 0; i < 300000; i += 7919) {
    EXPECT_EQ(texts[static_cast<std::size_t>(i)], "line-" + std::to_string(i));
  }
}

}  // namespace
}  // namespace promorec::event
