#include "promorec/sagemaker/sagemaker_request.h"

#include <gtest/gtest.h>

#include "promorec/features/row_builder.h"

namespace promorec::sagemaker {
namespace {

// Indices carry their fields from the dictionary: explicit entries their
// own, hashed buckets their field's, anything past the dictionary field 0.
TEST(SageMakerRequestTest, FieldsOfIndices) {
  model::FeatureDictionary d = features::NewEventDictionary();
  d.Add(features::kOffer, "o1");              // 0
  d.Add(features::kProduct, "m3");            // 1
  d.SetHashedBuckets(features::kCountry, 2);  // 2, 3
  d.SetHashedBuckets(features::kWeekday, 1);  // 4
  const InvocationDecoder decoder(d, 6);      // 5: past the dictionary
  InvocationRows rows;
  ASSERT_TRUE(decoder.DecodeJson(R"({"instances":[{"features":[1,1,1,1,1,1]}]})", &rows));
  ASSERT_EQ(rows.size(), 1u);
  const auto row = rows.row(0);
  ASSERT_EQ(row.size(), 6u);
  const std::uint32_t expected[] = {features::kOffer,   features::kProduct, features::kCountry,
                                    features::kCountry, features::kWeekday, 0};
  for (std::uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(row[i].index, i);
    EXPECT_EQ(row[i].field, expected[i]) << i;
  }
}

TEST(SageMakerRequestTest, KeysAndAliases) {
  model::FeatureDictionary d = features::NewEventDictionary();
  d.Add(features::kProduct, "m3");
  d.SetHashedBuckets(features::kUser, 4);
  const InvocationDecoder decoder(d, d.size());
  EXPECT_EQ(decoder.FieldOfKey("product"), features::kProduct);
  EXPECT_EQ(decoder.FieldOfKey("merchant"), features::kProduct);
  EXPECT_EQ(decoder.FieldOfKey("user_id"), features::kUser);
  EXPECT_EQ(decoder.FieldOfKey("offer_id"), features::kOffer);
  EXPECT_EQ(decoder.FieldOfKey("country"), features::kCountry);
  EXPECT_FALSE(decoder.FieldOfKey("colour"));
  InvocationRows rows;
  // An unknown user falls into the user field's buckets; empty values add
  // nothing.
  ASSERT_TRUE(decoder.DecodeJson(
      R"({"instances":[{"keys":["userid","merchant","category"],"values":["zed","m3",""]}]})",
      &rows));
  const auto row = rows.row(0);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0].field, static_cast<std::uint32_t>(features::kUser));
  EXPECT_GE(row[0].index, 1u);
  EXPECT_EQ(row[1].field, static_cast<std::uint32_t>(features::kProduct));
  EXPECT_EQ(row[1].index, 0u);
}

}  // namespace
}  // namespace promorec::sagemaker
