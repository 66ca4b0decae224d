// Golden files for the bad-input corpora under tests/corpus/: a test
// describes what the code made of an input and compares that with the
// .expected file beside it. PROMOREC_UPDATE_GOLDEN=1 rewrites the .expected
// files from the code's output instead, for review in the diff.
// Test-only (links gtest). Thread-safety: for a test's main thread.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace promorec::testing {

std::string ReadTestFile(const std::filesystem::path& path);

// Compares `actual` with the file `expected_path` (made from `input`), or
// writes it there when PROMOREC_UPDATE_GOLDEN is set.
void ExpectGolden(const std::filesystem::path& expected_path, const std::string& actual,
                  const std::filesystem::path& input);

// Checks every file of `dir` whose name ends with `suffix`: `describe` of
// its bytes must equal the file of the same name plus ".expected". Returns
// how many inputs were checked.
int CheckCorpus(const std::filesystem::path& dir, const std::string& suffix,
                const std::function<std::string(const std::string& bytes)>& describe);

}  // namespace promorec::testing
