#include "promorec/event/catalogue_csv.h"

#include <gtest/gtest.h>

#include "promorec/base/env.h"

namespace promorec::event {
namespace {

TEST(CatalogueCsvTest, ShippedDemoCatalogueParses) {
  const std::string dir = std::string(PROMOREC_SOURCE_DIR) + "/data/demo-catalogue/";
  auto products_text = base::ReadFileToString(base::DefaultEnv(), dir + "products.csv");
  auto promotions_text = base::ReadFileToString(base::DefaultEnv(), dir + "promotions.csv");
  ASSERT_TRUE(products_text && promotions_text);
  auto products = ParseProductsCsv(*products_text, "products.csv");
  auto promotions = ParsePromotionsCsv(*promotions_text, "promotions.csv");
  ASSERT_TRUE(products) << products.error().ToString();
  ASSERT_TRUE(promotions) << promotions.error().ToString();
  EXPECT_EQ(products->size(), 20u);
  EXPECT_EQ(promotions->size(), 20u);
  EXPECT_EQ((*products)[0].name, "Watch");
  EXPECT_DOUBLE_EQ((*products)[0].price, 125.0);
  EXPECT_EQ((*promotions)[0].text, "Free Shipping");
  EXPECT_EQ((*promotions)[0].code, (*promotions)[0].id);
}

TEST(CatalogueCsvTest, QuotedFieldsAndErrors) {
  auto ok = ParsePromotionsCsv("promotion_id,text\np1,\"Say \"\"hi\"\", friend\"\n", "p.csv");
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)[0].text, "Say \"hi\", friend");
  EXPECT_EQ(ParsePromotionsCsv("id,text\n", "p.csv").error().message(),
            "p.csv:1: expected the header 'promotion_id,text'");
  EXPECT_EQ(ParsePromotionsCsv("promotion_id,text\np1,\"open\n", "p.csv").error().message(),
            "p.csv:2: unclosed quote");
  EXPECT_EQ(
      ParseProductsCsv("product_id,name,category_id,category_name,price\na,b,c,d,cheap\n", "x.csv")
          .error()
          .message(),
      "x.csv:2: price 'cheap' is not a number >= 0");
}

}  // namespace
}  // namespace promorec::event
