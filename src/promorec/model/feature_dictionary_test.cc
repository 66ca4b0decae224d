#include "promorec/model/feature_dictionary.h"

#include <gtest/gtest.h>

namespace promorec::model {
namespace {

const std::vector<std::string> kFields = {"userid", "offerid", "countrycode", "category",
                                          "product"};

TEST(FeatureDictionaryTest, AddFindAndNames) {
  FeatureDictionary d(kFields);
  EXPECT_EQ(d.Add(0, "andy"), 0u);
  EXPECT_EQ(d.Add(2, "us"), 1u);
  EXPECT_EQ(d.Add(0, "andy"), 0u);
  EXPECT_EQ(d.Find(0, "andy"), 0u);
  EXPECT_EQ(d.Find(2, "us"), 1u);
  EXPECT_EQ(d.Find(0, "us"), std::nullopt) << "same value, other field";
  EXPECT_EQ(d.Find(0, "bob"), std::nullopt) << "unknown values contribute nothing";
  EXPECT_EQ(d.name(1), "countrycode_us");
  EXPECT_EQ(d.size(), 2u);
}

TEST(FeatureDictionaryTest, HeadersCsvRoundTripsAndKeepsLineOrder) {
  const std::string text =
      "userid_andy\nofferid_0f2fcf95\ncountrycode_us\ncategory_100020213\nproduct_ac26_97\n";
  auto d = FeatureDictionary::FromHeadersCsv(kFields, text);
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->Find(4, "ac26_97"), 4u) << "values may hold '_'";
  EXPECT_EQ(d->Find(1, "0f2fcf95"), 1u);
  EXPECT_EQ(d->ToHeadersCsv(), text);
  auto crlf = FeatureDictionary::FromHeadersCsv(kFields, "userid_a\r\nuserid_b\r\n\r\n");
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->Find(0, "b"), 1u);
}

TEST(FeatureDictionaryTest, HeadersCsvErrorsNameTheLine) {
  EXPECT_EQ(FeatureDictionary::FromHeadersCsv(kFields, "userid_a\nmerchant_x\n").error().message(),
            "headers.csv:2: 'merchant_x' starts with none of the model's fields");
  EXPECT_EQ(FeatureDictionary::FromHeadersCsv(kFields, "userid_a\nuserid_a\n").error().message(),
            "headers.csv:2: 'userid_a' appears twice");
  EXPECT_EQ(FeatureDictionary::FromHeadersCsv(kFields, "userid_a\n\nuserid_b\n").error().message(),
            "headers.csv:2: empty feature name");
}

TEST(FeatureDictionaryTest, LongestFieldPrefixWins) {
  auto d =
      FeatureDictionary::FromHeadersCsv({"user", "user_agent"}, "user_agent_firefox\nuser_x\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->Find(1, "firefox"), 0u);
  EXPECT_EQ(d->Find(0, "x"), 1u);
}

TEST(FeatureDictionaryTest, HashedBucketsCatchUnknownValuesOfTheirField) {
  FeatureDictionary d(kFields);
  d.Add(0, "andy");
  d.SetHashedBuckets(0, 16);
  EXPECT_EQ(d.size(), 17u);
  EXPECT_EQ(d.Find(0, "andy"), 0u);
  const auto unknown = d.Find(0, "zelda");
  ASSERT_TRUE(unknown);
  EXPECT_GE(*unknown, 1u);
  EXPECT_LT(*unknown, 17u);
  EXPECT_EQ(d.Find(0, "zelda"), unknown) << "stable";
  EXPECT_EQ(d.Find(1, "zelda"), std::nullopt) << "only the field with buckets";
  // Entries added later stay contiguous; the buckets move behind them.
  EXPECT_EQ(d.Add(1, "offer"), 1u);
  EXPECT_EQ(d.size(), 18u);
  EXPECT_GE(*d.Find(0, "zelda"), 2u);
  EXPECT_EQ(d.ToHeadersCsv(), "userid_andy\nofferid_offer\n");
}

}  // namespace
}  // namespace promorec::model
