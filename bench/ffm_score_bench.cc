// Candidate scores per second of the FFM scoring kernel, for the serving
// shape of the issue: k = 4, six fields (user, offer, country, category,
// product, hour), about a million features, one request = one shopper's
// context of five features scored against 1000 offers.
//
// BM_ScoreRowFull is the baseline: every candidate scored as a full
// six-feature row, all 15 pairs recomputed. BM_ScoreManyShared is the
// serving path: SetContext once per request (counted in the time), then one
// dot product per candidate. Compare items_per_second (candidates/s) of the
// two; the <kScalar> variants force the portable path for comparison with
// AVX2/FMA. The argument "sets" is how many different offer lists requests
// cycle through: 1 keeps the offers' parameters in cache (every shopper is
// offered the same eligible promotions), 256 touches all 100,000 offers
// (about 10 MB of parameters) so candidates come from L3 or DRAM.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "promorec/model/ffm_kernel.h"
#include "promorec/model/ffm_kernel_internal.h"
#include "promorec/model/ffm_params.h"

namespace promorec::model {
namespace {

enum Field : std::uint32_t { kUser, kOffer, kCountry, kCategory, kProduct, kHour, kNumFields };

// Vocabulary per field, laid out one after the other in the index space.
constexpr std::array<std::uint32_t, kNumFields> kVocabulary = {800'000, 100'000, 50,
                                                               1'000,   80'000,  24};
constexpr std::size_t kCandidatesPerRequest = 1000;
constexpr std::size_t kRequests = 256;

std::uint32_t FirstIndex(Field field) {
  std::uint32_t first = 0;
  for (std::uint32_t f = 0; f < field; ++f) first += kVocabulary[f];
  return first;
}

struct Workload {
  FfmParams params;
  std::vector<std::array<Feature, kNumFields - 1>> contexts;  // all fields but offer
  std::vector<std::vector<std::uint32_t>> offers;             // kCandidatesPerRequest each
};

Workload MakeWorkload() {
  std::uint32_t num_features = 0;
  for (std::uint32_t v : kVocabulary) num_features += v;
  auto params = FfmParams::Create({ModelType::kFfm, num_features, kNumFields, 4}, 1, 0.1f);
  if (!params) std::abort();
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  for (float& w : params->linear()) w = uniform(rng);
  Workload work{std::move(*params), {}, {}};
  auto pick = [&](Field field) {
    return Feature{
        field, FirstIndex(field) + static_cast<std::uint32_t>(rng() % kVocabulary[field]), 1.0f};
  };
  for (std::size_t r = 0; r < kRequests; ++r) {
    work.contexts.push_back(
        {pick(kUser), pick(kCountry), pick(kCategory), pick(kProduct), pick(kHour)});
    std::vector<std::uint32_t> offers(kCandidatesPerRequest);
    for (std::uint32_t& o : offers) o = pick(kOffer).index;
    work.offers.push_back(std::move(offers));
  }
  return work;
}

const Workload& GetWorkload() {
  static const Workload work = MakeWorkload();
  return work;
}

const internal::Kernels& KernelsFor(KernelPath path) {
  return path == KernelPath::kScalar ? internal::ScalarKernels() : internal::BestKernels();
}

template <KernelPath kPath>
void BM_ScoreRowFull(benchmark::State& state) {
  const Workload& work = GetWorkload();
  const internal::Kernels& kernels = KernelsFor(kPath);
  const auto sets = static_cast<std::size_t>(state.range(0));
  std::array<Feature, kNumFields> row{};
  std::size_t request = 0;
  for (auto _ : state) {
    const auto& context = work.contexts[request % kRequests];
    const auto& offers = work.offers[request % sets];
    ++request;
    std::copy(context.begin(), context.end(), row.begin());
    float sum = 0.0f;
    for (std::uint32_t offer : offers) {
      row.back() = {kOffer, offer, 1.0f};
      sum += kernels.score_row(work.params, row);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCandidatesPerRequest));
  state.SetLabel(kernels.avx2 ? "avx2" : "scalar");
}

template <KernelPath kPath>
void BM_ScoreManyShared(benchmark::State& state) {
  const Workload& work = GetWorkload();
  const auto sets = static_cast<std::size_t>(state.range(0));
  CandidateScorer scorer(work.params, kPath);
  const std::uint32_t candidate_field[] = {kOffer};
  std::vector<float> out(kCandidatesPerRequest);
  std::size_t request = 0;
  for (auto _ : state) {
    const auto& context = work.contexts[request % kRequests];
    const auto& offers = work.offers[request % sets];
    ++request;
    scorer.SetContext(context, candidate_field);
    scorer.ScoreMany(kOffer, offers, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCandidatesPerRequest));
  state.SetLabel(scorer.uses_avx2() ? "avx2" : "scalar");
}

BENCHMARK_TEMPLATE(BM_ScoreRowFull, KernelPath::kBest)->ArgName("sets")->Arg(1)->Arg(256);
BENCHMARK_TEMPLATE(BM_ScoreRowFull, KernelPath::kScalar)->ArgName("sets")->Arg(1)->Arg(256);
BENCHMARK_TEMPLATE(BM_ScoreManyShared, KernelPath::kBest)->ArgName("sets")->Arg(1)->Arg(256);
BENCHMARK_TEMPLATE(BM_ScoreManyShared, KernelPath::kScalar)->ArgName("sets")->Arg(1)->Arg(256);

}  // namespace
}  // namespace promorec::model

BENCHMARK_MAIN();
