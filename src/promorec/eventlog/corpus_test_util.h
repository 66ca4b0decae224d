// Checks the event log's bad-input corpus (tests/corpus/eventlog/): every
// input with a given extension must be described exactly as the .expected
// file beside it says. PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected files
// from the code's output, for review in the diff. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

namespace promorec::eventlog::testing {

inline std::string ReadCorpusFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Returns how many inputs were checked.
inline int CheckCorpus(const std::string& extension,
                       const std::function<std::string(const std::string&)>& describe) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/eventlog";
  const bool update = std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path input = entry.path();
    if (input.extension() != extension) continue;
    fs::path expected_path = input;
    expected_path += ".expected";
    const std::string actual = describe(ReadCorpusFile(input));
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << actual;
    } else {
      EXPECT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
      EXPECT_EQ(actual, ReadCorpusFile(expected_path)) << "for " << input;
    }
    ++checked;
  }
  return checked;
}

}  // namespace promorec::eventlog::testing
