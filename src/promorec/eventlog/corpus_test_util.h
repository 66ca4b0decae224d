// Checks the event log's bad-input corpus (tests/corpus/eventlog/): every
// input with a given extension must be described exactly as the .expected
// file beside it says. PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected files
// from the code's output, for review in the diff. Test-only.
#pragma once

#include <gtest/gtest.h>

#include "promorec/base/golden_test_util.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

namespace promorec::eventlog::testing {

inline std::string ReadCorpusFile(const std::filesystem::path& path) {
  return promorec::testing::ReadTestFile(path);
}

// Returns how many inputs were checked.
inline int CheckCorpus(const std::string& extension,
                       const std::function<std::string(const std::string&)>& describe) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/eventlog";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path input = entry.path();
    if (input.extension() != extension) continue;
    fs::path expected_path = input;
    expected_path += ".expected";
    promorec::testing::ExpectGolden(expected_path, describe(ReadCorpusFile(input)), input);
    ++checked;
  }
  return checked;
}

}  // namespace promorec::eventlog::testing
