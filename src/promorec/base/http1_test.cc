#include "promorec/base/http1.h"

#include <gtest/gtest.h>

#include <string>

#include "promorec/testing/golden.h"

namespace promorec::base::http1 {
namespace {

TEST(Http1Test, FieldLines) {
  auto f = ParseFieldLine("Content-Type:  text/csv \t");
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->first, "Content-Type");
  EXPECT_EQ(f->second, "text/csv");
  EXPECT_EQ(ParseFieldLine(" folded").error().message(), "folded header lines are not accepted");
  EXPECT_EQ(ParseFieldLine("no colon").error().message(), "malformed header line 'no colon'");
  EXPECT_EQ(ParseFieldLine("Bad Name: x").error().message(), "malformed header line 'Bad Name: x'");
  EXPECT_EQ(ParseFieldLine("X-A: a\x01").error().message(), "header X-A has a control character");
  EXPECT_TRUE(ParseFieldLine("X-Empty:"));
}

TEST(Http1Test, LengthsTokensAndPersistence) {
  EXPECT_EQ(ParseContentLength("42"), 42u);
  EXPECT_FALSE(ParseContentLength(""));
  EXPECT_FALSE(ParseContentLength("4 2"));
  EXPECT_FALSE(ParseContentLength("-1"));
  EXPECT_FALSE(ParseContentLength("99999999999999999999999"));
  EXPECT_TRUE(ListsToken("gzip, Chunked", "chunked"));
  EXPECT_FALSE(ListsToken("gzip", "chunked"));
  EXPECT_TRUE(KeepsAlive(1, ""));
  EXPECT_FALSE(KeepsAlive(1, "Close"));
  EXPECT_FALSE(KeepsAlive(0, ""));
  EXPECT_TRUE(KeepsAlive(0, "keep-alive"));
  EXPECT_TRUE(IsToken("X-Amz-Target"));
  EXPECT_FALSE(IsToken("a b"));
}

// The same outcome whether the bytes come at once or one by one.
ChunkedScanner::Outcome ScanByteByByte(std::string_view input, ChunkedScanner* scanner) {
  ChunkedScanner::Outcome outcome = ChunkedScanner::Outcome::kNeedMore;
  for (std::size_t n = 0; n <= input.size(); ++n) {
    outcome = scanner->Scan(input.substr(0, n));
    if (outcome != ChunkedScanner::Outcome::kNeedMore) break;
  }
  return outcome;
}

TEST(Http1Test, ChunkedBodiesDecodeHoweverTheyArrive) {
  const std::string head = "HEAD\r\n\r\n";
  const std::string input =
      head + "5;ext=1\r\nhello\r\n 1 \r\n,\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (const bool whole : {true, false}) {
    ChunkedScanner scanner(head.size(), {});
    const auto outcome = whole ? scanner.Scan(input) : ScanByteByByte(input, &scanner);
    ASSERT_EQ(outcome, ChunkedScanner::Outcome::kDone) << scanner.message();
    EXPECT_EQ(input.substr(scanner.end()), "NEXT");
    EXPECT_EQ(scanner.body_bytes(), 12u);
    std::string body;
    scanner.Decode(input, &body);
    EXPECT_EQ(body, "hello, world");
  }
}

TEST(Http1Test, ChunkedErrorsAndLimits) {
  const auto outcome = [](std::string input, ChunkedScanner::Limits limits, std::string* why) {
    ChunkedScanner whole(0, limits), split(0, limits);
    const auto a = whole.Scan(input);
    const auto b = ScanByteByByte(input, &split);
    EXPECT_EQ(a, b) << input;
    EXPECT_EQ(whole.message(), split.message());
    *why = whole.message();
    return a;
  };
  std::string why;
  EXPECT_EQ(outcome("zz\r\n", {}, &why), ChunkedScanner::Outcome::kBad);
  EXPECT_EQ(why, "malformed chunk size 'zz'");
  EXPECT_EQ(outcome("2\r\nabX\r\n", {}, &why), ChunkedScanner::Outcome::kBad);
  EXPECT_EQ(why, "a chunk is not followed by CRLF");
  EXPECT_EQ(outcome(std::string(40, '1'), {.max_line = 16}, &why), ChunkedScanner::Outcome::kBad);
  EXPECT_EQ(why, "chunk size line too long");
  EXPECT_EQ(outcome("0\r\n" + std::string(100, 'x'), {.max_trailer_bytes = 10}, &why),
            ChunkedScanner::Outcome::kBad);
  EXPECT_EQ(why, "trailers too long");
  EXPECT_EQ(outcome("a\r\n0123456789\r\n", {.max_body_bytes = 9}, &why),
            ChunkedScanner::Outcome::kTooLarge);
  EXPECT_EQ(outcome("a\r\n0123", {}, &why), ChunkedScanner::Outcome::kNeedMore);
}

// The bad-input corpus: each chunked body's outcome, with the exact reason
// or the decoded body, under the limits the fuzz target uses.
TEST(Http1Test, Corpus) {
  const auto describe = [](const std::string& bytes) {
    ChunkedScanner scanner(0, {.max_line = 64, .max_trailer_bytes = 256, .max_body_bytes = 4096});
    switch (scanner.Scan(bytes)) {
      case ChunkedScanner::Outcome::kNeedMore:
        return std::string("need more\n");
      case ChunkedScanner::Outcome::kTooLarge:
        return std::string("too large\n");
      case ChunkedScanner::Outcome::kBad:
        return "bad: " + scanner.message() + "\n";
      case ChunkedScanner::Outcome::kDone:
        break;
    }
    std::string body;
    scanner.Decode(bytes, &body);
    return "done: " + body + "\n";
  };
  EXPECT_GE(
      testing::CheckCorpus(PROMOREC_SOURCE_DIR "/tests/corpus/http-chunked", ".chunked", describe),
      10);
}

}  // namespace
}  // namespace promorec::base::http1
