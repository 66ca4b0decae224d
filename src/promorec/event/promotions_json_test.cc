#include "promorec/event/promotions_json.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "promorec/testing/golden.h"

namespace promorec::event {
namespace {

std::string Message(std::string_view text) {
  auto parsed = ParsePromotionsJson(text, "p.json");
  EXPECT_FALSE(parsed) << text;
  return parsed ? "" : parsed.error().message();
}

TEST(PromotionsJsonTest, ReadsEveryRule) {
  auto parsed = ParsePromotionsJson(R"({"promotions": [
      {"id": "A", "text": "Ten off", "code": "TEN",
       "eligibility": {"countries": ["de", "AT"], "categories": ["shoes"], "products": ["p1"],
                       "min_price": 12.5, "valid_from": "2024-03-01T00:00:00Z",
                       "valid_until": 1719792000.25, "new_shoppers_only": true}},
      {"id": "B", "text": "Welcome back", "eligibility": {"returning_shoppers_only": true,
                                                          "countries": []}},
      {"id": "C", "text": "Plain", "eligibility": null, "code": null}]})",
                                    "p.json");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  ASSERT_EQ(parsed->size(), 3u);
  const Promotion& a = (*parsed)[0];
  EXPECT_EQ(a.id, "A");
  EXPECT_EQ(a.text, "Ten off");
  EXPECT_EQ(a.code, "TEN");
  EXPECT_EQ(a.eligibility.countries, (std::vector<std::string>{"de", "AT"}));
  EXPECT_EQ(a.eligibility.categories, std::vector<std::string>{"shoes"});
  EXPECT_EQ(a.eligibility.products, std::vector<std::string>{"p1"});
  EXPECT_EQ(a.eligibility.min_price, 12.5);
  EXPECT_EQ(a.valid_from_us, 1709251200000000);
  EXPECT_EQ(a.valid_until_us, 1719792000250000);
  EXPECT_EQ(a.eligibility.shoppers, ShopperRule::kNewOnly);
  EXPECT_EQ((*parsed)[1].eligibility.shoppers, ShopperRule::kReturningOnly);
  EXPECT_TRUE((*parsed)[1].eligibility.countries.empty());
  EXPECT_EQ((*parsed)[1].code, "B") << "the code defaults to the id";
  EXPECT_EQ((*parsed)[2].eligibility, Eligibility{});
  EXPECT_FALSE((*parsed)[2].valid_from_us);
  EXPECT_EQ((*parsed)[2].code, "C");
}

TEST(PromotionsJsonTest, MessagesAndBudgets) {
  auto parsed = ParsePromotionsJson(R"([
      {"id": "A", "text": "Ten off", "subject": "Hi {user}", "message": "Use {code}",
       "budget": {"impressions_per_day": 1000, "redemptions_per_day": 50}},
      {"id": "B", "text": "Plain", "budget": {"redemptions_per_day": 3}}])",
                                    "p.json");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  const Promotion& a = (*parsed)[0];
  EXPECT_EQ(a.subject, "Hi {user}");
  EXPECT_EQ(a.message, "Use {code}");
  EXPECT_EQ(a.budget.impressions_per_day, 1000u);
  EXPECT_EQ(a.budget.redemptions_per_day, 50u);
  EXPECT_FALSE((*parsed)[1].budget.impressions_per_day);
  EXPECT_TRUE((*parsed)[1].subject.empty());
  std::string written;
  AppendPromotionsJson(*parsed, &written);
  auto again = ParsePromotionsJson(written, "again.json");
  ASSERT_TRUE(again) << again.error().ToString() << "\n" << written;
  EXPECT_EQ(*again, *parsed);
}

TEST(PromotionsJsonTest, ArrayLayoutAndRoundTrip) {
  auto parsed = ParsePromotionsJson(
      R"([{"id": "x", "text": "X \"quoted\"", "eligibility": {"valid_until": "1518318207.8448",
          "min_price": 0.1}}])",
      "p.json");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ((*parsed)[0].valid_until_us, 1518318207844800);
  std::string written;
  AppendPromotionsJson(*parsed, &written);
  auto again = ParsePromotionsJson(written, "again.json");
  ASSERT_TRUE(again) << again.error().ToString() << "\n" << written;
  EXPECT_EQ(*again, *parsed);
}

TEST(PromotionsJsonTest, ErrorsNameFilePromotionKeyAndWhy) {
  EXPECT_EQ(Message(R"([{"id": "a", "text": "t", "eligibility": {"countrys": ["de"]}}])"),
            R"(p.json: promotions[0].eligibility: unknown key "countrys")");
  EXPECT_EQ(Message(R"([{"id": "a", "text": "t"}, {"id": "a", "text": "u"}])"),
            R"(p.json: promotions[1].id: "a" is already the id of promotions[0])");
  EXPECT_EQ(Message(R"([{"id": "a", "text": "t", "eligibility": {"products": ["p", ""]}}])"),
            "p.json: promotions[0].eligibility.products[1]: must not be empty");
  EXPECT_EQ(Message(R"({"promotions": [], "promotions": []})"),
            R"(p.json: key "promotions" is given twice)");
  EXPECT_EQ(Message(R"({})"), "p.json: promotions: required");
  EXPECT_EQ(ParsePromotionsJson("[", "p.json").error().code(), base::Code::kInvalidArgument);
}

// Every file under tests/corpus/promotions/ gives exactly the message in
// the .expected file beside it (valid.json is accepted).
TEST(PromotionsJsonTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/promotions";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    auto parsed =
        ParsePromotionsJson(testing::ReadTestFile(entry.path()), entry.path().filename().string());
    const std::string actual = parsed
                                   ? "accepted " + std::to_string(parsed->size()) + " promotions\n"
                                   : parsed.error().ToString() + "\n";
    testing::ExpectGolden(entry.path().string() + ".expected", actual, entry.path());
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace promorec::event
