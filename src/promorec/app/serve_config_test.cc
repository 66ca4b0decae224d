#include "promorec/app/serve_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace promorec::app {
namespace {

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string WriteConfig(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("promorec-serve-config-" +
                     std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".json");
  std::ofstream(path) << text;
  return path.string();
}

TEST(ServeConfigTest, FlagsOverrideEnvironmentOverridesFile) {
  const std::string file = WriteConfig(
      R"({"port": 9000, "host": "0.0.0.0", "api_keys": ["a", "b"], "rate_limit_per_second": 5})");
  auto c = ResolveServeConfig(file, Env({{"PROMOREC_PORT", "9100"}}),
                              {{"host", {"127.0.0.1", "--host"}}});
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->port, 9100);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->api_keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->rate_limit_per_second, 5);
  EXPECT_EQ(c->data_dir, "./promorec-data");
  auto env_keys = ResolveServeConfig("", Env({{"PROMOREC_API_KEYS", "x,y"}}), {});
  ASSERT_TRUE(env_keys);
  EXPECT_EQ(env_keys->api_keys, (std::vector<std::string>{"x", "y"}));
  std::filesystem::remove(file);
}

TEST(ServeConfigTest, EveryBadValueNamesKeySourceAndReason) {
  const auto error = [](const std::string& file, std::map<std::string, std::string> env,
                        const GivenSettings& flags) {
    auto c = ResolveServeConfig(file, Env(std::move(env)), flags);
    EXPECT_FALSE(c);
    return c ? std::string() : c.error().message();
  };
  EXPECT_EQ(error("", {{"PROMOREC_PORT", "70000"}}, {}),
            "port '70000' (from PROMOREC_PORT) must be a whole number in 0..65535");
  EXPECT_EQ(error("", {}, {{"rate_limit_per_second", {"-1", "--rate-limit"}}}),
            "rate_limit_per_second '-1' (from --rate-limit) must be a number >= 0");
  EXPECT_EQ(error("", {}, {{"admin_token", {"short", "--admin-token"}}}),
            "admin_token (from --admin-token) must be at least 16 characters");
  EXPECT_EQ(error("", {}, {{"api_keys", {"a,,b", "--api-keys"}}}),
            "api_keys (from --api-keys) has an empty key");
  const std::string file = WriteConfig(R"({"prot": 1})");
  EXPECT_EQ(error(file, {}, {}), file + ": unknown setting 'prot'");
  std::filesystem::remove(file);
  EXPECT_NE(error("/no/such/file.json", {}, {}), "");
}

TEST(ServeConfigTest, JsonLeavesSecretsOut) {
  ServeConfig c;
  c.api_keys = {"secret-key"};
  c.admin_token = "0123456789abcdef0123";
  const std::string json = ServeConfigJson(c);
  EXPECT_EQ(json.find("secret-key"), std::string::npos);
  EXPECT_EQ(json.find("0123456789abcdef"), std::string::npos);
  EXPECT_NE(json.find("\"api_keys\":1"), std::string::npos);
}

}  // namespace
}  // namespace promorec::app
