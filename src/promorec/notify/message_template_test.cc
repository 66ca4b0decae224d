// MessageTemplate: placeholders, literal braces, the original system's
// defaults, and the bad-template corpus under tests/corpus/notify_template/
// (NAME.txt must fail to parse with exactly the error in NAME.expected;
// PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected files for review).
#include "promorec/notify/message_template.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace promorec::notify {
namespace {

namespace fs = std::filesystem;

const TemplateValues kValues{.product = "Wanderschuhe Alpin",
                             .promotion = "10% off hiking boots",
                             .code = "HIKE10",
                             .user = "u-42"};

TEST(MessageTemplateTest, DefaultsAreTheOriginalTexts) {
  EXPECT_EQ(MessageTemplate::DefaultSubject().Render(kValues), "You have a coupon!");
  EXPECT_EQ(MessageTemplate::DefaultMessage().Render(kValues),
            "We noticed you were looking at our Wanderschuhe Alpin today. We thought that a "
            "discount might make your decision easier - 10% off hiking boots! Enter code HIKE10 "
            "on the checkout page.");
}

TEST(MessageTemplateTest, EveryPlaceholderAndRepeats) {
  auto parsed = MessageTemplate::Parse("{user}:{product}/{promotion}/{code}/{code}{user}");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->Render(kValues),
            "u-42:Wanderschuhe Alpin/10% off hiking boots/HIKE10/HIKE10u-42");
  EXPECT_EQ(parsed->text(), "{user}:{product}/{promotion}/{code}/{code}{user}");
}

TEST(MessageTemplateTest, DoubledBracesAreLiteral) {
  auto parsed = MessageTemplate::Parse("{{code}} is {code}; }}{{ {{{code}}}");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->Render(kValues), "{code} is HIKE10; }{ {HIKE10}");
}

TEST(MessageTemplateTest, ValuesAreInsertedVerbatim) {
  // A value that looks like a placeholder is not expanded again.
  auto parsed = MessageTemplate::Parse("[{product}]");
  ASSERT_TRUE(parsed);
  const TemplateValues values{
      .product = "{code} \"quoted\"\r\nnext", .promotion = "", .code = "X", .user = ""};
  EXPECT_EQ(parsed->Render(values), "[{code} \"quoted\"\r\nnext]");
}

TEST(MessageTemplateTest, EmptyAndPlainTexts) {
  EXPECT_EQ(MessageTemplate().Render(kValues), "");
  auto empty = MessageTemplate::Parse("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->Render(kValues), "");
  auto plain = MessageTemplate::Parse("Grüße – no placeholders");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->Render(kValues), "Grüße – no placeholders");
}

TEST(MessageTemplateTest, RenderToAppends) {
  auto parsed = MessageTemplate::Parse("code {code}");
  ASSERT_TRUE(parsed);
  std::string out = "> ";
  parsed->RenderTo(kValues, &out);
  EXPECT_EQ(out, "> code HIKE10");
}

TEST(MessageTemplateTest, ErrorsNameThePositionAndThePlaceholder) {
  auto unknown = MessageTemplate::Parse("Hi {user}, see {prodcut}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(unknown.error().message(),
            "template at byte 15: unknown placeholder {prodcut} (known: {product}, {promotion}, "
            "{code}, {user}; write {{ for a literal brace)");
  auto unclosed = MessageTemplate::Parse("code {code");
  ASSERT_FALSE(unclosed);
  EXPECT_EQ(unclosed.error().message(),
            "template at byte 5: placeholder {code is not closed (write {{ for a literal brace)");
}

TEST(MessageTemplateTest, TooLong) {
  auto parsed = MessageTemplate::Parse(std::string(kMaxTemplateBytes + 1, 'x'));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message(), "template is 65537 bytes; at most 65536");
  EXPECT_TRUE(MessageTemplate::Parse(std::string(kMaxTemplateBytes, 'x')));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(MessageTemplateTest, BadTemplateCorpus) {
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/notify_template";
  const bool update = std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path input = entry.path();
    if (input.extension() != ".txt") continue;
    fs::path expected_path = input;
    expected_path.replace_extension(".expected");
    auto parsed = MessageTemplate::Parse(ReadFile(input));
    ASSERT_FALSE(parsed) << input << " is in the bad-template corpus but parses";
    const std::string actual = parsed.error().ToString() + "\n";
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
    } else {
      EXPECT_EQ(actual, ReadFile(expected_path)) << "for " << input;
    }
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace promorec::notify
