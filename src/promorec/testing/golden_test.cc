#include "promorec/testing/golden.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fstream>

namespace promorec::testing {
namespace {

class GoldenTest : public ::testing::Test {
 protected:
  GoldenTest()
      : dir_(std::filesystem::temp_directory_path() / ("golden-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(dir_);
    Write("a.bad", "AAA");
    Write("a.bad.expected", "3\n");
    Write("b.bad", "BBBBB");
    Write("b.bad.expected", "5\n");
    Write("ignored.txt", "x");
  }
  ~GoldenTest() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::filesystem::path dir_;
};

TEST_F(GoldenTest, ACorpusMatchingItsExpectedFilesPasses) {
  const auto length = [](const std::string& bytes) { return std::to_string(bytes.size()) + "\n"; };
  EXPECT_EQ(CheckCorpus(dir_, ".bad", length), 2);
  EXPECT_EQ(ReadTestFile(dir_ / "ignored.txt"), "x");
}

TEST_F(GoldenTest, ADifferenceFails) {
  EXPECT_NONFATAL_FAILURE(
      CheckCorpus(dir_, ".bad", [](const std::string&) { return std::string("3\n"); }), "for ");
}

}  // namespace
}  // namespace promorec::testing
