#include "promorec/policy/exploration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace promorec::policy {
namespace {

// Draws `n` decisions with distinct seeds and returns how often each arm
// was chosen, checking that Choose reports ChoiceProbability each time.
std::vector<double> Frequencies(const std::vector<float>& scores, bool have_model,
                                const ExplorationOptions& options, int n) {
  std::vector<double> counts(scores.size());
  for (int i = 0; i < n; ++i) {
    const Choice c = Choose(scores, have_model, options,
                            DecisionSeed("event-" + std::to_string(i), options.seed));
    EXPECT_DOUBLE_EQ(c.probability, ChoiceProbability(scores, have_model, options, c.index));
    counts[c.index] += 1.0 / n;
  }
  return counts;
}

TEST(Exploration, SameEventSameChoice) {
  const std::vector<float> scores = {0.1f, 0.5f, 0.4f, 0.2f};
  ExplorationOptions options;
  options.epsilon = 0.5;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t seed = DecisionSeed("e" + std::to_string(i), 42);
    const Choice a = Choose(scores, true, options, seed);
    const Choice b = Choose(scores, true, options, seed);
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.probability, b.probability);
  }
  EXPECT_NE(DecisionSeed("e", 1), DecisionSeed("e", 2));
  EXPECT_NE(DecisionSeed("e1", 1), DecisionSeed("e2", 1));
}

TEST(Exploration, EpsilonGreedyProbabilitiesAreExact) {
  const std::vector<float> scores = {0.1f, 0.5f, 0.4f, 0.2f};
  ExplorationOptions options;  // epsilon 0.05
  EXPECT_DOUBLE_EQ(ChoiceProbability(scores, true, options, 1), 0.95 + 0.05 / 4);
  EXPECT_DOUBLE_EQ(ChoiceProbability(scores, true, options, 0), 0.05 / 4);
  double total = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    total += ChoiceProbability(scores, true, options, i);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  const std::vector<double> seen = Frequencies(scores, true, options, 40000);
  // 40,000 draws: a binomial standard deviation below 0.003.
  EXPECT_NEAR(seen[1], 0.9625, 0.01);
  EXPECT_NEAR(seen[0], 0.0125, 0.005);
}

TEST(Exploration, SoftmaxMatchesItsProbabilities) {
  const std::vector<float> scores = {0.1f, 0.3f, 0.2f};
  ExplorationOptions options;
  options.kind = ExplorationKind::kSoftmax;
  options.temperature = 0.1;
  const double z = std::exp(-2.0) + 1.0 + std::exp(-1.0);
  EXPECT_NEAR(ChoiceProbability(scores, true, options, 1), 1.0 / z, 1e-6);
  const std::vector<double> seen = Frequencies(scores, true, options, 40000);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    EXPECT_NEAR(seen[i], ChoiceProbability(scores, true, options, i), 0.01) << i;
  }
}

TEST(Exploration, GreedyAndColdStart) {
  const std::vector<float> scores = {0.1f, 0.5f, 0.5f};
  ExplorationOptions options;
  options.kind = ExplorationKind::kGreedy;
  const Choice greedy = Choose(scores, true, options, 7);
  EXPECT_EQ(greedy.index, 1u);  // ties go to the first
  EXPECT_EQ(greedy.probability, 1.0);
  // Without a model: uniform, whatever the options say.
  const std::vector<double> seen = Frequencies(scores, false, options, 30000);
  for (const double f : seen) EXPECT_NEAR(f, 1.0 / 3, 0.015);
  EXPECT_DOUBLE_EQ(ChoiceProbability(scores, false, options, 0), 1.0 / 3);
}

TEST(Exploration, OptionsAndNames) {
  ExplorationOptions options;
  EXPECT_TRUE(options.Validate());
  options.epsilon = 1.5;
  EXPECT_FALSE(options.Validate());
  options = {};
  options.temperature = 0;
  EXPECT_FALSE(options.Validate());
  for (const auto kind :
       {ExplorationKind::kGreedy, ExplorationKind::kEpsilonGreedy, ExplorationKind::kSoftmax}) {
    EXPECT_EQ(*ParseExplorationKind(ExplorationKindName(kind)), kind);
  }
  EXPECT_FALSE(ParseExplorationKind("thompson"));
}

}  // namespace
}  // namespace promorec::policy
