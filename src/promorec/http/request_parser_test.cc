#include "promorec/http/request_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace promorec::http {
namespace {

using State = ParseResult::State;

constexpr ParseLimits kLimits{1024, 4096};

// Parses `bytes` fed whole; the first request's result.
ParseResult ParseWhole(std::string_view bytes, Request* request) {
  RequestParser parser(kLimits);
  return parser.Parse(bytes, request);
}

// Parses `bytes` fed one byte more each call, as a slow client sends them;
// the first result that is not kIncomplete (or the last kIncomplete).
ParseResult ParseByteByByte(std::string_view bytes, Request* request, int* continues) {
  RequestParser parser(kLimits);
  ParseResult result;
  for (std::size_t n = 1; n <= bytes.size(); ++n) {
    result = parser.Parse(bytes.substr(0, n), request);
    if (result.send_continue) ++*continues;
    if (result.state != State::kIncomplete) return result;
  }
  return result;
}

// Whole when `slow` is false, else byte by byte.
ParseResult Parse(bool slow, std::string_view bytes, Request* request, int* continues) {
  return slow ? ParseByteByByte(bytes, request, continues) : ParseWhole(bytes, request);
}

TEST(RequestParserTest, GetWithQueryAndHeaders) {
  Request r;
  const std::string bytes =
      "GET /v1/recommendations?user=u%201&k=5&name=a+b HTTP/1.1\r\nHost: x\r\n"
      "X-Api-Key:  secret \r\n\r\nGET /next";
  const ParseResult result = ParseWhole(bytes, &r);
  ASSERT_EQ(result.state, State::kComplete) << result.message;
  EXPECT_EQ(result.consumed, bytes.find("GET /next"));
  EXPECT_TRUE(result.keep_alive);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/v1/recommendations");
  EXPECT_EQ(r.query.at("user"), "u 1");
  EXPECT_EQ(r.query.at("k"), "5");
  EXPECT_EQ(r.query.at("name"), "a b");
  EXPECT_EQ(r.Header("x-api-key"), "secret");
  EXPECT_EQ(r.Header("host"), "x");
  EXPECT_TRUE(r.body.empty());
}

TEST(RequestParserTest, ContentLengthBodyWholeAndByteByByte) {
  const std::string bytes =
      "POST /v1/events HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: text/csv\r\n\r\n"
      "hello world";
  for (const bool slow : {false, true}) {
    Request r;
    int continues = 0;
    const ParseResult result = Parse(slow, bytes, &r, &continues);
    ASSERT_EQ(result.state, State::kComplete) << slow;
    EXPECT_EQ(result.consumed, bytes.size());
    EXPECT_EQ(r.body, "hello world");
    EXPECT_EQ(continues, 0);
  }
}

TEST(RequestParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string bytes =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=v\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  for (const bool slow : {false, true}) {
    Request r;
    int continues = 0;
    const ParseResult result = Parse(slow, bytes, &r, &continues);
    ASSERT_EQ(result.state, State::kComplete) << slow << " " << result.message;
    EXPECT_EQ(r.body, "hello 0123456789");
    EXPECT_EQ(result.consumed, bytes.find("NEXT"));
  }
}

TEST(RequestParserTest, AChunkLineAtTheLimitParsesHoweverTheBytesArrive) {
  const std::string bytes = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
                            std::string(1022, 'e') + "\r\nhello\r\n0\r\n\r\n";
  for (const bool slow : {false, true}) {
    Request r;
    int continues = 0;
    const ParseResult result = Parse(slow, bytes, &r, &continues);
    ASSERT_EQ(result.state, State::kComplete) << slow << " " << result.message;
    EXPECT_EQ(r.body, "hello");
  }
}

TEST(RequestParserTest, ExpectContinueIsReportedOnceBeforeTheBody) {
  const std::string bytes =
      "POST /x HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\nabc";
  Request r;
  int continues = 0;
  const ParseResult result = ParseByteByByte(bytes, &r, &continues);
  ASSERT_EQ(result.state, State::kComplete);
  EXPECT_EQ(continues, 1);
  EXPECT_EQ(r.body, "abc");
}

TEST(RequestParserTest, ConnectionPersistenceByVersionAndHeader) {
  Request r;
  EXPECT_FALSE(ParseWhole("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", &r).keep_alive);
  EXPECT_TRUE(ParseWhole("GET / HTTP/1.1\r\n\r\n", &r).keep_alive);
  EXPECT_FALSE(ParseWhole("GET / HTTP/1.0\r\n\r\n", &r).keep_alive);
  EXPECT_TRUE(ParseWhole("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r).keep_alive);
}

TEST(RequestParserTest, PipelinedRequestsParseOneAfterAnother) {
  const std::string bytes =
      "GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nokGET /c "
      "HTTP/1.1\r\n\r\n";
  RequestParser parser(kLimits);
  std::string_view rest = bytes;
  std::vector<std::string> seen;
  while (!rest.empty()) {
    Request r;
    const ParseResult result = parser.Parse(rest, &r);
    ASSERT_EQ(result.state, State::kComplete);
    seen.push_back(r.method + " " + r.path + " " + r.body);
    rest.remove_prefix(result.consumed);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"GET /a ", "POST /b ok", "GET /c "}));
}

TEST(RequestParserTest, AbsoluteTargetAndLeadingBlankLines) {
  Request r;
  const ParseResult result = ParseWhole("\r\nGET http://host:8080/p?q=1 HTTP/1.1\r\n\r\n", &r);
  ASSERT_EQ(result.state, State::kComplete);
  EXPECT_EQ(r.path, "/p");
  EXPECT_EQ(r.query.at("q"), "1");
}

TEST(RequestParserTest, IncompleteHeadIsNotAnError) {
  Request r;
  EXPECT_EQ(ParseWhole("GET / HTTP/1.1\r\nHost: a\r\n", &r).state, State::kIncomplete);
  EXPECT_EQ(ParseWhole("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nab", &r).state,
            State::kIncomplete);
}

TEST(PercentDecodeTest, EscapesAndPlus) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%2Fb+c", true, &out));
  EXPECT_EQ(out, "a/b c");
  EXPECT_TRUE(PercentDecode("a+c", false, &out));
  EXPECT_EQ(out, "a+c");
  EXPECT_FALSE(PercentDecode("%", true, &out));
  EXPECT_FALSE(PercentDecode("%a", true, &out));
  EXPECT_FALSE(PercentDecode("%ag", true, &out));
}

// tests/corpus/http-request/: each NAME.http is a bad request; NAME.http.expected
// holds "STATUS code: message", the answer it must get, whether the bytes
// come at once or one at a time.
TEST(RequestParserCorpusTest, EveryBadRequestGetsItsExactAnswer) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/http-request";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".http") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::ifstream expected_in(entry.path().string() + ".expected");
    std::string expected;
    std::getline(expected_in, expected);
    for (const bool slow : {false, true}) {
      Request r;
      int continues = 0;
      const ParseResult result = Parse(slow, bytes.str(), &r, &continues);
      EXPECT_EQ(result.state, State::kError) << entry.path() << " slow=" << slow;
      EXPECT_EQ(std::to_string(result.status) + " " + result.code + ": " + result.message, expected)
          << entry.path() << " slow=" << slow;
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace promorec::http
