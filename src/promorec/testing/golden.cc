#include "promorec/testing/golden.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace promorec::testing {

std::string ReadTestFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

void ExpectGolden(const std::filesystem::path& expected_path, const std::string& actual,
                  const std::filesystem::path& input) {
  if (std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  EXPECT_TRUE(std::filesystem::exists(expected_path)) << "missing " << expected_path;
  EXPECT_EQ(actual, ReadTestFile(expected_path)) << "for " << input;
}

int CheckCorpus(const std::filesystem::path& dir, const std::string& suffix,
                const std::function<std::string(const std::string& bytes)>& describe) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::filesystem::path input = entry.path();
    if (!input.filename().string().ends_with(suffix)) continue;
    std::filesystem::path expected_path = input;
    expected_path += ".expected";
    ExpectGolden(expected_path, describe(ReadTestFile(input)), input);
    ++checked;
  }
  return checked;
}

}  // namespace promorec::testing
