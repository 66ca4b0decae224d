// Small helpers shared by the CLI subcommands.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace promorec::app {

// "train.csv" for "data/train.csv": how rejections name their file.
std::string BaseName(const std::string& path);

// The median of `values` (0 when empty): benchmarks quote medians because
// the machines they run on are shared and noisy.
double Median(std::vector<double> values);

}  // namespace promorec::app
