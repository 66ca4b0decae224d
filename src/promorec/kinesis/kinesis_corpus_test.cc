// The Kinesis API's bad-request corpus (tests/corpus/kinesis/): each file
// <Operation>-<case>.json is the body of one request to <Operation>, and
// <Operation>-<case>.json.expected holds the exact __type and message of
// the error it must produce, one per line. The requests run against a store
// holding one stream, "clicks", with two shards.
// PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected files for review.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "promorec/kinesis/kinesis_test_util.h"

namespace promorec::kinesis {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

class KinesisCorpusTest : public testing::KinesisFixture {};

TEST_F(KinesisCorpusTest, EveryBadRequestGetsItsExactError) {
  namespace fs = std::filesystem;
  CreateStream("clicks", 2);
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/kinesis";
  const bool update = std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path input = entry.path();
    if (input.extension() != ".json") continue;
    const std::string stem = input.stem().string();
    const std::string operation = stem.substr(0, stem.find('-'));
    const KinesisReply reply = Call(operation, ReadFile(input));
    const auto [type, message] = Error(reply);
    const std::string actual = type + "\n" + message + "\n";
    fs::path expected = input;
    expected += ".expected";
    if (update) {
      std::ofstream(expected, std::ios::binary) << actual;
    } else {
      EXPECT_TRUE(fs::exists(expected)) << "missing " << expected;
      EXPECT_EQ(actual, ReadFile(expected)) << "for " << input;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace promorec::kinesis
