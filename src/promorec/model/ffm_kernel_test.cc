#include "promorec/model/ffm_kernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "promorec/model/ffm_kernel_internal.h"
#include "promorec/model/ffm_params.h"
#include "promorec/model/predict.h"

namespace promorec::model {
namespace {

constexpr std::uint32_t kKs[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17};
constexpr ModelType kTypes[] = {ModelType::kFfm, ModelType::kFm};

// Signed values, unlike FfmParams::Create, so that terms cancel and the
// tolerance is tested where it is hardest to meet.
FfmParams RandomModel(ModelType type, std::uint32_t num_features, std::uint32_t num_fields,
                      std::uint32_t k, std::mt19937_64& rng) {
  auto params = FfmParams::Zeros({type, num_features, num_fields, k});
  EXPECT_TRUE(params.has_value());
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  params->bias() = uniform(rng);
  for (float& w : params->linear()) w = uniform(rng);
  for (float& v : params->latent()) v = 0.5f * uniform(rng);
  return std::move(*params);
}

// Random features, including unknown ones (index or field past the model),
// repeated fields and repeated features.
Feature RandomFeature(const FfmShape& shape, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::uint32_t> field(0, shape.num_fields);  // one past: unknown
  std::uniform_int_distribution<std::uint32_t> index(0, shape.num_features + 2);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  Feature f;
  f.field = field(rng);
  f.index = index(rng);
  // Mostly one-hot ids, as in real rows, with some real-valued features.
  f.value = (rng() % 3 == 0) ? value(rng) : 1.0f;
  return f;
}

std::vector<Feature> RandomRow(const FfmShape& shape, std::size_t max_size, std::mt19937_64& rng) {
  std::vector<Feature> row(rng() % (max_size + 1));
  for (Feature& f : row) f = RandomFeature(shape, rng);
  return row;
}

double D(float x) { return static_cast<double>(x); }

struct Reference {
  double logit = 0.0;
  double magnitude = 0.0;  // the logit with every term's absolute value
};

// Straight from the definition, in double precision.
Reference ReferenceScore(const FfmParams& params, const std::vector<Feature>& row) {
  const FfmShape& shape = params.shape();
  Reference ref;
  ref.logit = params.bias();
  ref.magnitude = std::abs(ref.logit);
  auto known = [&](const Feature& f) {
    return f.index < shape.num_features && f.field < shape.num_fields;
  };
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (!known(row[i])) continue;
    const double linear = D(params.linear()[row[i].index]) * D(row[i].value);
    ref.logit += linear;
    ref.magnitude += std::abs(linear);
    for (std::size_t j = i + 1; j < row.size(); ++j) {
      if (!known(row[j])) continue;
      const float* a = params.latent_of(row[i].index, row[j].field);
      const float* b = params.latent_of(row[j].index, row[i].field);
      const double xx = D(row[i].value) * D(row[j].value);
      for (std::uint32_t t = 0; t < shape.k; ++t) {
        const double term = D(a[t]) * D(b[t]) * xx;
        ref.logit += term;
        ref.magnitude += std::abs(term);
      }
    }
  }
  return ref;
}

double Bound(double magnitude) { return D(kKernelTolerance) * (1.0 + magnitude); }

std::string Describe(const FfmShape& shape) {
  return std::string(shape.type == ModelType::kFfm ? "ffm" : "fm") +
         " fields=" + std::to_string(shape.num_fields) + " k=" + std::to_string(shape.k);
}

std::vector<Feature> Join(const std::vector<Feature>& a, const std::vector<Feature>& b) {
  std::vector<Feature> out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

TEST(FfmKernelTest, DispatchMatchesCpu) {
  const bool cpu = __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0;
  EXPECT_EQ(KernelUsesAvx2(), cpu);
  EXPECT_EQ(internal::BestKernels().avx2, cpu);
  EXPECT_FALSE(internal::ScalarKernels().avx2);
}

TEST(FfmKernelTest, SigmoidIsStableAndSymmetric) {
  EXPECT_FLOAT_EQ(Sigmoid(0.0f), 0.5f);
  EXPECT_FLOAT_EQ(Sigmoid(2.0f), 1.0f / (1.0f + std::exp(-2.0f)));
  EXPECT_NEAR(Sigmoid(-3.0f) + Sigmoid(3.0f), 1.0f, 1e-7f);
  EXPECT_EQ(Sigmoid(200.0f), 1.0f);
  EXPECT_EQ(Sigmoid(-200.0f), 0.0f);
  EXPECT_FALSE(std::isnan(Sigmoid(-1e30f)));
}

TEST(FfmKernelTest, HandWorkedFfmRow) {
  // Two fields, k = 2: bias 0.5, w = {1, 2}; the pair term pairs feature
  // 0's vector for field 1 with feature 1's vector for field 0.
  auto params = FfmParams::Zeros({ModelType::kFfm, 2, 2, 2});
  ASSERT_TRUE(params.has_value());
  params->bias() = 0.5f;
  params->linear()[0] = 1.0f;
  params->linear()[1] = 2.0f;
  float* v01 = params->latent_of(0, 1);
  v01[0] = 3.0f;
  v01[1] = 4.0f;
  float* v10 = params->latent_of(1, 0);
  v10[0] = 5.0f;
  v10[1] = 6.0f;
  const std::vector<Feature> row = {{0, 0, 1.0f}, {1, 1, 0.5f}};
  // 0.5 + 1 + 2 * 0.5 + (3*5 + 4*6) * 0.5 = 22
  EXPECT_FLOAT_EQ(ScoreRow(*params, row), 22.0f);
  EXPECT_FLOAT_EQ(internal::ScoreRowScalar(*params, row), 22.0f);
  EXPECT_FLOAT_EQ(internal::ScoreRowAvx2(*params, row), 22.0f);
  // Unknown features change nothing.
  const std::vector<Feature> with_unknown = {
      {0, 0, 1.0f}, {2, 0, 9.0f}, {1, 1, 0.5f}, {0, 7, 9.0f}};
  EXPECT_FLOAT_EQ(ScoreRow(*params, with_unknown), 22.0f);
  EXPECT_FLOAT_EQ(ScoreRow(*params, {}), 0.5f);
}

TEST(FfmKernelTest, DotPathsAgreeForEveryTailLength) {
  if (!internal::Avx2Supported()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> a(200), b(200);
  for (float& x : a) x = uniform(rng);
  for (float& x : b) x = uniform(rng);
  for (std::size_t n = 0; n <= 140; ++n) {
    // Odd offsets: the kernels must not assume aligned vectors.
    for (std::size_t offset : {0u, 1u, 3u}) {
      double exact = 0.0, magnitude = 0.0;
      for (std::size_t t = 0; t < n; ++t) {
        exact += D(a[offset + t]) * D(b[offset + t]);
        magnitude += std::abs(D(a[offset + t]) * D(b[offset + t]));
      }
      const float scalar = internal::DotScalar(a.data() + offset, b.data() + offset, n);
      const float avx2 = internal::DotAvx2(a.data() + offset, b.data() + offset, n);
      EXPECT_NEAR(scalar, exact, Bound(magnitude)) << "n=" << n;
      EXPECT_NEAR(avx2, exact, Bound(magnitude)) << "n=" << n;
      EXPECT_NEAR(avx2, scalar, Bound(magnitude)) << "n=" << n;
    }
  }
}

TEST(FfmKernelTest, ScoreRowMatchesDoubleReference) {
  std::mt19937_64 rng(42);
  int rows = 0;
  for (ModelType type : kTypes) {
    for (std::uint32_t k : kKs) {
      for (std::uint32_t fields = 1; fields <= 10; ++fields) {
        // Few features, so rows often repeat one.
        const FfmParams params = RandomModel(type, 40, fields, k, rng);
        for (int r = 0; r < 25; ++r, ++rows) {
          const std::vector<Feature> row = RandomRow(params.shape(), 14, rng);
          const Reference ref = ReferenceScore(params, row);
          const float scalar = internal::ScoreRowScalar(params, row);
          EXPECT_NEAR(scalar, ref.logit, Bound(ref.magnitude)) << Describe(params.shape());
          EXPECT_NEAR(ScoreRow(params, row), ref.logit, Bound(ref.magnitude));
          if (internal::Avx2Supported()) {
            const float avx2 = internal::ScoreRowAvx2(params, row);
            EXPECT_NEAR(avx2, ref.logit, Bound(ref.magnitude)) << Describe(params.shape());
            EXPECT_NEAR(avx2, scalar, Bound(ref.magnitude)) << Describe(params.shape());
          }
        }
      }
    }
  }
  EXPECT_EQ(rows, 2 * 11 * 10 * 25);
}

TEST(FfmKernelTest, FmIgnoresFieldsInPairs) {
  // In FM the pair term is <V[i], V[j]> whatever the fields, so moving a
  // feature to another (known) field changes nothing.
  std::mt19937_64 rng(3);
  const FfmParams params = RandomModel(ModelType::kFm, 30, 4, 4, rng);
  const std::vector<Feature> a = {{0, 3, 1.0f}, {1, 7, 0.5f}, {2, 11, 1.0f}};
  const std::vector<Feature> b = {{3, 3, 1.0f}, {3, 7, 0.5f}, {0, 11, 1.0f}};
  EXPECT_NEAR(ScoreRow(params, a), ScoreRow(params, b), 1e-6f);
}

// CandidateScorer against ScoreRow on the joined row, on both paths, with
// one scorer reused across contexts so that stale state would show.
void CheckScorer(KernelPath path, std::uint64_t seed, int* checks) {
  std::mt19937_64 rng(seed);
  for (ModelType type : kTypes) {
    for (std::uint32_t k : kKs) {
      for (std::uint32_t fields = 1; fields <= 10; ++fields) {
        const FfmParams params = RandomModel(type, 60, fields, k, rng);
        const FfmShape& shape = params.shape();
        CandidateScorer scorer(params, path);
        EXPECT_EQ(scorer.uses_avx2(), path == KernelPath::kBest && KernelUsesAvx2());
        // Before any context the scorer scores candidates alone.
        const std::vector<Feature> lone = {RandomFeature(shape, rng)};
        EXPECT_NEAR(scorer.Score(lone), ScoreRow(params, lone),
                    Bound(ReferenceScore(params, lone).magnitude));
        for (int c = 0; c < 6; ++c) {
          const std::vector<Feature> context = RandomRow(shape, 8, rng);
          // Declared candidate fields: a random subset, with repeats and an
          // out-of-range one.
          std::vector<std::uint32_t> candidate_fields;
          for (std::size_t n = rng() % 4; n > 0; --n) {
            candidate_fields.push_back(static_cast<std::uint32_t>(rng() % (fields + 1)));
          }
          scorer.SetContext(context, candidate_fields);
          const Reference ctx = ReferenceScore(params, context);
          EXPECT_NEAR(scorer.context_logit(), ctx.logit, Bound(ctx.magnitude));

          for (int s = 0; s < 8; ++s, ++*checks) {
            const std::vector<Feature> candidate = RandomRow(shape, 3, rng);
            const std::vector<Feature> joined = Join(context, candidate);
            const Reference ref = ReferenceScore(params, joined);
            EXPECT_NEAR(scorer.Score(candidate), ScoreRow(params, joined), Bound(ref.magnitude))
                << Describe(shape);
            EXPECT_NEAR(scorer.Score(candidate), ref.logit, Bound(ref.magnitude))
                << Describe(shape);
          }

          // ScoreMany for a declared field, an undeclared one and one the
          // model lacks, with unknown indices mixed in.
          std::vector<std::uint32_t> many_fields = {static_cast<std::uint32_t>(rng() % fields),
                                                    fields};
          if (!candidate_fields.empty()) many_fields.push_back(candidate_fields[0]);
          for (std::uint32_t field : many_fields) {
            std::vector<std::uint32_t> indices(rng() % 40);
            for (std::uint32_t& i : indices) i = static_cast<std::uint32_t>(rng() % 64);
            std::vector<float> out(indices.size() + 1, -123.0f);
            scorer.ScoreMany(field, indices, out);
            EXPECT_EQ(out.back(), -123.0f) << "wrote past the candidates";
            for (std::size_t i = 0; i < indices.size(); ++i, ++*checks) {
              const std::vector<Feature> joined = Join(context, {{field, indices[i], 1.0f}});
              const Reference ref = ReferenceScore(params, joined);
              EXPECT_NEAR(out[i], ScoreRow(params, joined), Bound(ref.magnitude))
                  << Describe(shape) << " field=" << field << " index=" << indices[i];
              EXPECT_NEAR(out[i], ref.logit, Bound(ref.magnitude)) << Describe(shape);
            }
          }
        }
      }
    }
  }
}

TEST(CandidateScorerTest, MatchesScoreRowOnJoinedRowBest) {
  int checks = 0;
  CheckScorer(KernelPath::kBest, 11, &checks);
  EXPECT_GT(checks, 20000);
}

TEST(CandidateScorerTest, MatchesScoreRowOnJoinedRowScalar) {
  int checks = 0;
  CheckScorer(KernelPath::kScalar, 12, &checks);
  EXPECT_GT(checks, 20000);
}

TEST(CandidateScorerTest, ScalarAndAvx2PathsAgree) {
  if (!internal::Avx2Supported()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  std::mt19937_64 rng(99);
  for (ModelType type : kTypes) {
    for (std::uint32_t k : kKs) {
      for (std::uint32_t fields = 1; fields <= 10; ++fields) {
        const FfmParams params = RandomModel(type, 500, fields, k, rng);
        CandidateScorer scalar(params, KernelPath::kScalar);
        CandidateScorer avx2(params, KernelPath::kBest);
        ASSERT_TRUE(avx2.uses_avx2());
        const std::vector<Feature> context = RandomRow(params.shape(), 8, rng);
        const std::uint32_t field = static_cast<std::uint32_t>(rng() % fields);
        const std::vector<std::uint32_t> candidate_fields = {field};
        scalar.SetContext(context, candidate_fields);
        avx2.SetContext(context, candidate_fields);
        // Long enough that the prefetch runs ahead, and past the end.
        std::vector<std::uint32_t> indices(100);
        for (std::uint32_t& i : indices) i = static_cast<std::uint32_t>(rng() % 510);
        std::vector<float> out_scalar(indices.size()), out_avx2(indices.size());
        scalar.ScoreMany(field, indices, out_scalar);
        avx2.ScoreMany(field, indices, out_avx2);
        for (std::size_t i = 0; i < indices.size(); ++i) {
          const Reference ref = ReferenceScore(params, Join(context, {{field, indices[i], 1.0f}}));
          EXPECT_NEAR(out_avx2[i], out_scalar[i], Bound(ref.magnitude)) << Describe(params.shape());
        }
      }
    }
  }
}

TEST(CandidateScorerTest, ScoreManyInnerLoopsAgree) {
  if (!internal::Avx2Supported()) GTEST_SKIP() << "no AVX2/FMA on this CPU";
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (std::size_t stride : {1u, 3u, 4u, 7u, 8u, 9u, 15u, 16u, 17u, 24u, 31u, 40u, 100u, 300u}) {
    const std::uint32_t num_features = 64;
    std::vector<float> latent(num_features * stride), linear(num_features), w(stride);
    for (float& x : latent) x = uniform(rng);
    for (float& x : linear) x = uniform(rng);
    for (float& x : w) x = uniform(rng);
    internal::ManyArgs args;
    args.latent = latent.data();
    args.linear = linear.data();
    args.stride = stride;
    args.num_features = num_features;
    args.w = w.data();
    args.base = 0.25f;
    std::vector<std::uint32_t> indices(97);
    for (std::uint32_t& i : indices) i = static_cast<std::uint32_t>(rng() % (num_features + 4));
    std::vector<float> out_scalar(indices.size()), out_avx2(indices.size());
    internal::ScoreManyScalar(args, indices, out_scalar.data());
    internal::ScoreManyAvx2(args, indices, out_avx2.data());
    for (std::size_t i = 0; i < indices.size(); ++i) {
      double magnitude = 0.25;
      if (indices[i] < num_features) {
        magnitude += std::abs(D(linear[indices[i]]));
        for (std::size_t t = 0; t < stride; ++t) {
          magnitude += std::abs(D(latent[indices[i] * stride + t]) * D(w[t]));
        }
      } else {
        EXPECT_EQ(out_avx2[i], 0.25f);
        EXPECT_EQ(out_scalar[i], 0.25f);
      }
      EXPECT_NEAR(out_avx2[i], out_scalar[i], Bound(magnitude)) << "stride=" << stride;
    }
  }
}

TEST(CandidateScorerTest, ShortOutputIsNotOverrun) {
  std::mt19937_64 rng(8);
  const FfmParams params = RandomModel(ModelType::kFfm, 20, 3, 4, rng);
  CandidateScorer scorer(params);
  const std::vector<std::uint32_t> fields = {1};
  scorer.SetContext(std::vector<Feature>{{0, 2, 1.0f}, {2, 5, 1.0f}}, fields);
  const std::vector<std::uint32_t> indices = {1, 2, 3, 4};
  std::vector<float> out(3, 0.0f);
  scorer.ScoreMany(1, indices, std::span<float>(out).first(2));
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_NEAR(out[1], scorer.Score(std::vector<Feature>{{1, 2, 1.0f}}), 1e-6f);
}

// With instance normalisation the scorer must give what training and
// offline scoring give for the joined row (model::PredictLogit).
TEST(CandidateScorerTest, InstanceNormalisationMatchesPredictLogit) {
  std::mt19937_64 rng(10);
  for (const ModelType type : {ModelType::kFfm, ModelType::kFm}) {
    const FfmParams params = RandomModel(type, 40, 4, 4, rng);
    for (const KernelPath path : {KernelPath::kBest, KernelPath::kScalar}) {
      CandidateScorer scorer(params, path);
      const std::vector<std::uint32_t> fields = {1};
      const std::vector<Feature> context = {{0, 2, 1.0f}, {2, 5, 0.5f}, {3, 9, 1.0f}};
      scorer.SetContext(context, fields, true);
      std::vector<Feature> scratch;
      EXPECT_NEAR(scorer.context_logit(), PredictLogit(params, context, true, &scratch), 1e-5f);
      const std::vector<std::uint32_t> indices = {11, 12, 13, 999};
      std::vector<float> many(indices.size());
      scorer.ScoreMany(1, indices, many);
      for (std::size_t i = 0; i < indices.size(); ++i) {
        std::vector<Feature> joined = context;
        joined.push_back({1, indices[i], 1.0f});
        const float want = PredictLogit(params, joined, true, &scratch);
        EXPECT_NEAR(many[i], want, 1e-5f) << i;
        EXPECT_NEAR(scorer.Score(std::vector<Feature>{{1, indices[i], 1.0f}}), want, 1e-5f);
      }
      // Two candidate features, one with a value other than 1.
      const std::vector<Feature> pair = {{1, 14, 1.0f}, {3, 15, 2.0f}};
      std::vector<Feature> joined = context;
      joined.insert(joined.end(), pair.begin(), pair.end());
      EXPECT_NEAR(scorer.Score(pair), PredictLogit(params, joined, true, &scratch), 1e-5f);
    }
  }
}

TEST(CandidateScorerTest, ScorersAreMovable) {
  std::mt19937_64 rng(9);
  const FfmParams params = RandomModel(ModelType::kFfm, 20, 3, 4, rng);
  CandidateScorer a(params);
  const std::vector<std::uint32_t> fields = {1};
  const std::vector<Feature> context = {{0, 2, 1.0f}, {2, 5, 1.0f}};
  a.SetContext(context, fields);
  const std::vector<Feature> candidate = {{1, 7, 1.0f}};
  const float before = a.Score(candidate);
  CandidateScorer b = std::move(a);
  EXPECT_EQ(b.Score(candidate), before);
}

// A scorer rebound to another model (of another type, shape and field
// count) scores exactly as a scorer built for that model.
TEST(CandidateScorerTest, AScorerReboundToAnotherModelScoresAsANewOne) {
  std::mt19937_64 rng(21);
  const FfmParams ffm = RandomModel(ModelType::kFfm, 40, 6, 4, rng);
  const FfmParams fm = RandomModel(ModelType::kFm, 25, 3, 8, rng);
  const FfmParams small = RandomModel(ModelType::kFfm, 10, 2, 4, rng);
  CandidateScorer reused(ffm);
  for (const FfmParams* params : {&fm, &small, &ffm, &fm}) {
    const std::vector<Feature> context = RandomRow(params->shape(), 5, rng);
    const std::vector<std::uint32_t> fields = {1};
    reused.Rebind(*params);
    reused.SetContext(context, fields, /*instance_normalisation=*/true);
    CandidateScorer fresh(*params);
    fresh.SetContext(context, fields, true);
    EXPECT_EQ(reused.context_logit(), fresh.context_logit());
    for (int c = 0; c < 20; ++c) {
      const std::vector<Feature> candidate = RandomRow(params->shape(), 2, rng);
      EXPECT_EQ(reused.Score(candidate), fresh.Score(candidate));
    }
    std::vector<std::uint32_t> indices(30);
    for (std::uint32_t& i : indices) i = static_cast<std::uint32_t>(rng() % 50);
    std::vector<float> a(indices.size()), b(indices.size());
    reused.ScoreMany(1, indices, a);
    fresh.ScoreMany(1, indices, b);
    EXPECT_EQ(a, b);
  }
}

}  // namespace
}  // namespace promorec::model
