// Golden files for the bad-input corpora under tests/corpus/: a test
// describes what the code made of an input and compares that with the
// .expected file beside it. PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected
// files from the code's output instead, for review in the diff. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace promorec::testing {

inline std::string ReadTestFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Compares `actual` with the file `expected_path` (made from `input`), or
// writes it there when PROMOREC_UPDATE_GOLDEN is set.
inline void ExpectGolden(const std::filesystem::path& expected_path, const std::string& actual,
                         const std::filesystem::path& input) {
  if (std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  EXPECT_TRUE(std::filesystem::exists(expected_path)) << "missing " << expected_path;
  EXPECT_EQ(actual, ReadTestFile(expected_path)) << "for " << input;
}

}  // namespace promorec::testing
