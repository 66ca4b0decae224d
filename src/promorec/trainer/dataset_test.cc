#include "promorec/trainer/dataset.h"

#include <gtest/gtest.h>

#include "promorec/base/mem_env.h"

namespace promorec::trainer {
namespace {

Dataset Sample(bool with_values) {
  Dataset d;
  const model::Feature a[] = {{0, 3, 1}, {2, 7, 1}};
  const model::Feature b[] = {{1, 5, with_values ? 0.25f : 1.0f}};
  d.AddRow(1, a);
  d.AddRow(0, b);
  d.AddRow(1, {});
  return d;
}

void ExpectSame(const Dataset& x, const Dataset& y) {
  ASSERT_EQ(x.rows(), y.rows());
  ASSERT_EQ(x.total_features(), y.total_features());
  EXPECT_EQ(x.num_fields(), y.num_fields());
  EXPECT_EQ(x.num_features(), y.num_features());
  EXPECT_EQ(x.all_ones(), y.all_ones());
  for (std::size_t r = 0; r < x.rows(); ++r) {
    EXPECT_EQ(x.label(r), y.label(r));
    EXPECT_EQ(x.row_size(r), y.row_size(r));
  }
  for (std::size_t j = 0; j < x.total_features(); ++j) {
    EXPECT_EQ(x.index_at(j), y.index_at(j));
    EXPECT_EQ(x.field_at(j), y.field_at(j));
    EXPECT_EQ(x.value_at(j), y.value_at(j));
  }
}

TEST(DatasetTest, StoresOnesWithoutAValueColumn) {
  const Dataset ones = Sample(false);
  EXPECT_TRUE(ones.all_ones());
  EXPECT_EQ(ones.values(0), nullptr);
  const Dataset some = Sample(true);
  EXPECT_FALSE(some.all_ones());
  EXPECT_EQ(some.value_at(0), 1.0f) << "earlier ones are filled in";
  EXPECT_EQ(some.value_at(2), 0.25f);
  std::vector<model::Feature> scratch;
  const auto row = some.Row(0, &scratch);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[1].field, 2u);
  EXPECT_EQ(row[1].index, 7u);
  EXPECT_EQ(some.FeatureCounts(), (std::vector<std::uint32_t>{0, 0, 0, 1, 0, 1, 0, 1}));
}

// A value other than 1 is kept wherever it comes, the very first feature
// of the set included.
TEST(DatasetTest, KeepsAValueInTheFirstFeature) {
  Dataset d;
  const model::Feature first[] = {{0, 1, 0.5f}, {1, 2, 1}};
  const model::Feature later[] = {{0, 3, 1}};
  d.AddRow(1, first);
  d.AddRow(0, later);
  ASSERT_FALSE(d.all_ones());
  EXPECT_EQ(d.value_at(0), 0.5f);
  EXPECT_EQ(d.value_at(1), 1.0f);
  EXPECT_EQ(d.value_at(2), 1.0f);
}

TEST(DatasetTest, AppendKeepsOrderAndValues) {
  Dataset d = Sample(false);
  d.Append(Sample(true));
  ASSERT_EQ(d.rows(), 6u);
  EXPECT_FALSE(d.all_ones());
  EXPECT_EQ(d.value_at(d.row_begin(4)), 0.25f);
  EXPECT_EQ(d.value_at(d.row_begin(1)), 1.0f);
  EXPECT_EQ(d.index_at(d.row_begin(3) + 1), 7u);
  Dataset empty;
  empty.Append(Sample(false));
  ExpectSame(empty, Sample(false));
}

// Splitting off the tail and appending it back gives the set it came from;
// each part's bounds are its own rows'.
TEST(DatasetTest, SplitTailMovesTheLastRowsOut) {
  const Dataset whole = [] {
    Dataset d = Sample(false);
    d.Append(Sample(true));
    return d;
  }();
  Dataset head = whole;
  Dataset tail = head.SplitTail(4);
  ASSERT_EQ(head.rows(), 4u);
  ASSERT_EQ(tail.rows(), 2u);
  EXPECT_EQ(tail.label(0), 0.0f);
  EXPECT_EQ(tail.value_at(tail.row_begin(0)), 0.25f);
  EXPECT_EQ(tail.index_at(tail.row_begin(0)), 5u);
  EXPECT_EQ(tail.row_size(1), 0u);
  EXPECT_EQ(tail.num_features(), 6u);
  EXPECT_EQ(tail.num_fields(), 2u);
  EXPECT_EQ(head.num_features(), 8u);
  EXPECT_EQ(head.num_fields(), 3u);
  EXPECT_EQ(head.total_features(), 5u);
  head.Append(std::move(tail));
  ExpectSame(head, whole);

  Dataset all = whole;
  EXPECT_EQ(all.SplitTail(6).rows(), 0u);
  EXPECT_EQ(all.rows(), 6u);
  Dataset none = whole;
  ExpectSame(none.SplitTail(0), whole);
  EXPECT_EQ(none.rows(), 0u);
  EXPECT_EQ(none.num_features(), 0u);
}

TEST(DatasetTest, CacheRoundTripsAndIsKeyedBySource) {
  auto env = base::NewMemEnv();
  for (const bool values : {false, true}) {
    const Dataset d = Sample(values);
    const Dataset::SourceKey key{1234, 0xabcdef};
    ASSERT_TRUE(d.WriteCache(*env, "/c", key));
    auto back = Dataset::ReadCache(*env, "/c", key);
    ASSERT_TRUE(back) << back.error().ToString();
    ExpectSame(d, *back);
    auto other = Dataset::ReadCache(*env, "/c", {1234, 0xabcdee});
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code(), base::Code::kNotFound);
  }
  EXPECT_EQ(Dataset::ReadCache(*env, "/none", {}).error().code(), base::Code::kNotFound);
}

TEST(DatasetTest, EveryDamagedCacheByteIsCaught) {
  auto env = base::NewMemEnv();
  const Dataset::SourceKey key{9, 9};
  ASSERT_TRUE(Sample(true).WriteCache(*env, "/c", key));
  const std::string good = base::ReadFileToString(*env, "/c").value();
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    ASSERT_TRUE(base::WriteFileAtomically(*env, "/d", bad));
    auto read = Dataset::ReadCache(*env, "/d", key);
    ASSERT_FALSE(read) << "byte " << i;
  }
  ASSERT_TRUE(base::WriteFileAtomically(*env, "/t", good.substr(0, good.size() - 3)));
  EXPECT_EQ(Dataset::ReadCache(*env, "/t", key).error().code(), base::Code::kCorruption);
}

TEST(DatasetTest, KeyOfFileFollowsTheBytes) {
  auto env = base::NewMemEnv();
  ASSERT_TRUE(base::WriteFileAtomically(*env, "/a", "1 0:1:1\n"));
  auto a = KeyOfFile(*env, "/a");
  ASSERT_TRUE(base::WriteFileAtomically(*env, "/a", "1 0:2:1\n"));
  auto b = KeyOfFile(*env, "/a");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size, b->size);
  EXPECT_NE(a->crc, b->crc);
}

}  // namespace
}  // namespace promorec::trainer
