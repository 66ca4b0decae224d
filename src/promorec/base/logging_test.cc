#include "promorec/base/logging.h"

#include <gtest/gtest.h>

#include <string>

namespace promorec::base {
namespace {

TEST(ParseLogLevelTest, KnownNames) {
  EXPECT_EQ(ParseLogLevel("debug").value(), spdlog::level::debug);
  EXPECT_EQ(ParseLogLevel("info").value(), spdlog::level::info);
  EXPECT_EQ(ParseLogLevel("warn").value(), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("warning").value(), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("error").value(), spdlog::level::err);
  EXPECT_EQ(ParseLogLevel("trace").value(), spdlog::level::trace);
  EXPECT_EQ(ParseLogLevel("off").value(), spdlog::level::off);
}

TEST(ParseLogLevelTest, UnknownNameListsValidOnes) {
  auto level = ParseLogLevel("verbose");
  ASSERT_FALSE(level);
  EXPECT_EQ(level.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(
      level.error().message(),
      "unknown log level \"verbose\"; valid levels: trace, debug, info, warn, warning, error, "
      "critical, off");
  EXPECT_FALSE(ParseLogLevel("INFO"));
  EXPECT_FALSE(ParseLogLevel(""));
}

class LoggingTest : public testing::Test {
 protected:
  void TearDown() override { InitLogging("info"); }
};

TEST_F(LoggingTest, WritesLevelAndTextToStderrAndFiltersBelowLevel) {
  InitLogging("warn");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  testing::internal::CaptureStderr();
  spdlog::info("quiet-message");
  spdlog::warn("loud-message {}", 42);
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("quiet-message"), std::string::npos);
  EXPECT_NE(out.find("warning ["), std::string::npos) << out;
  EXPECT_NE(out.find("loud-message 42"), std::string::npos) << out;
  // Timestamp first: "YYYY-MM-DDTHH:MM:SS".
  ASSERT_GE(out.size(), 19U);
  EXPECT_EQ(out[4], '-');
  EXPECT_EQ(out[10], 'T');
}

TEST_F(LoggingTest, DebugLevelLetsDebugThrough) {
  InitLogging("debug");
  testing::internal::CaptureStderr();
  spdlog::debug("debug-visible");
  EXPECT_NE(testing::internal::GetCapturedStderr().find("debug-visible"), std::string::npos);
}

TEST_F(LoggingTest, BadLevelFallsBackToInfoAndSaysSo) {
  testing::internal::CaptureStderr();
  InitLogging("loud");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
  EXPECT_NE(out.find("unknown log level \"loud\""), std::string::npos) << out;
}

}  // namespace
}  // namespace promorec::base
