// The bad-input corpus of the JSON codec and the binary record: every
// tests/corpus/json/NAME.json and tests/corpus/binary/NAME.bin must give
// exactly the rejections written in NAME.expected beside it, one
// Rejection::ToString() per line (source = the input's file name).
// PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected files from the code's
// output, for review in the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "promorec/event/binary_record.h"
#include "promorec/event/json_codec.h"

namespace promorec::event {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::string DescribeJson(const std::string& body, const std::string& source) {
  JsonEventDecoder decoder;
  std::string out;
  decoder.Decode(
      body, source, [](const ClickEvent&, std::uint64_t) {},
      [&](const Rejection& r, std::uint64_t) { out += r.ToString() + "\n"; });
  return out;
}

std::string DescribeBinary(const std::string& data, const std::string& source) {
  ClickEvent event;
  auto status = DecodeBinaryRecord(data, &event);
  if (status) return "";
  Rejection rejection;
  rejection.source = source;
  rejection.error = status.error();
  return rejection.ToString() + "\n";
}

template <typename Describe>
void CheckCorpus(const std::string& name, const std::string& extension, Describe describe) {
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus" / name;
  const bool update = std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path input = entry.path();
    if (input.extension() != extension) continue;
    fs::path expected_path = input;
    expected_path.replace_extension(".expected");
    const std::string actual = describe(ReadFile(input), input.filename().string());
    EXPECT_FALSE(actual.empty()) << input << " is in the bad-input corpus but has no rejection";
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
    } else {
      ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
      EXPECT_EQ(actual, ReadFile(expected_path)) << "for " << input;
    }
    ++checked;
  }
  EXPECT_GE(checked, 6) << "corpus " << dir << " is nearly empty";
}

TEST(CodecCorpusTest, Json) { CheckCorpus("json", ".json", DescribeJson); }

TEST(CodecCorpusTest, Binary) { CheckCorpus("binary", ".bin", DescribeBinary); }

}  // namespace
}  // namespace promorec::event
