// The bad-input corpus of the line formats: every file under
// tests/corpus/{click,kasandr}/ must give exactly the rejections written in
// the .expected file beside it (one Rejection::ToString() per line, then the
// accepted count; "error: ..." when the whole file is refused).
// PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected files from the code's
// output, for review in the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "promorec/base/env.h"
#include "promorec/event/event_file.h"

namespace promorec::event {
namespace {

namespace fs = std::filesystem;

std::string Describe(const fs::path& input, InputFormat format) {
  MemoryDeadLetter dead_letter;
  auto stats = ReadEventFile(
      base::DefaultEnv(), input.string(), input.filename().string(), format,
      [](const ClickEvent&) {}, dead_letter);
  std::string out;
  if (!stats) return "error: " + stats.error().message() + "\n";
  for (const Rejection& r : dead_letter.rejections()) out += r.ToString() + "\n";
  out += "accepted " + std::to_string(stats->accepted) + " of " + std::to_string(stats->rows_read) +
         "\n";
  return out;
}

void CheckCorpus(const std::string& name, InputFormat format) {
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus" / name;
  const bool update = std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path input = entry.path();
    if (input.extension() == ".expected") continue;
    fs::path expected_path = input;
    expected_path.replace_extension(".expected");
    const std::string actual = Describe(input, format);
    if (update) {
      std::ofstream(expected_path) << actual;
    } else {
      std::ifstream file(expected_path);
      ASSERT_TRUE(file) << "missing " << expected_path;
      std::stringstream expected;
      expected << file.rdbuf();
      EXPECT_EQ(actual, expected.str()) << "for " << input;
    }
    ++checked;
  }
  EXPECT_GE(checked, 5) << "corpus " << dir << " is nearly empty";
}

TEST(DelimitedCorpusTest, ClassicClickLines) { CheckCorpus("click", InputFormat::kClick); }

TEST(DelimitedCorpusTest, KasandrFiles) { CheckCorpus("kasandr", InputFormat::kKasandr); }

}  // namespace
}  // namespace promorec::event
