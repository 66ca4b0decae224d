#include "promorec/http/sigv4.h"

#include <gtest/gtest.h>

namespace promorec::http {
namespace {

// Signed by botocore's SigV4Auth (the AWS SDK for Python) for
// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY at
// 2026-11-28T12:00:00Z: the same request must verify here.
Request Signed() {
  Request r;
  r.method = "POST";
  r.path = "/";
  r.body = R"({"StreamName":"shop"})";
  r.headers = {{"content-type", "application/x-amz-json-1.1"},
               {"host", "127.0.0.1:8080"},
               {"x-amz-date", "20261128T120000Z"},
               {"x-amz-target", "Kinesis_20131202.DescribeStream"},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261128/us-east-1/kinesis/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                "Signature=2a20d9eb3744f311ed4c6c927da4ff38a0d77bf0463faa7e42799cc0a7fbd14e"}};
  return r;
}

constexpr std::int64_t kNowUs = 1'795'867'200'000'000;  // 2026-11-28T12:00:00Z
const AwsCredentials kCredentials = {{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}};

TEST(SigV4Test, AcceptsWhatTheAwsSdkSigned) {
  const auto verified = VerifySigV4(Signed(), kCredentials, kNowUs);
  EXPECT_TRUE(verified) << verified.error().message();
  EXPECT_TRUE(VerifySigV4(Signed(), kCredentials, kNowUs + 14LL * 60 * 1'000'000));
}

TEST(SigV4Test, RefusesAlteredStaleOrUnknown) {
  Request body = Signed();
  body.body = R"({"StreamName":"shoq"})";
  EXPECT_EQ(VerifySigV4(body, kCredentials, kNowUs).error().message(), "signature does not match");
  Request header = Signed();
  header.headers["x-amz-target"] = "Kinesis_20131202.DeleteStream";
  EXPECT_EQ(VerifySigV4(header, kCredentials, kNowUs).error().message(),
            "signature does not match");
  EXPECT_EQ(VerifySigV4(Signed(), kCredentials, kNowUs + 16LL * 60 * 1'000'000).error().message(),
            "request time is more than 15 minutes from now");
  EXPECT_EQ(VerifySigV4(Signed(), {{"OTHER", "x"}}, kNowUs).error().message(),
            "unknown access key 'AKIDEXAMPLE'");
  Request unsigned_request = Signed();
  unsigned_request.headers.erase("authorization");
  EXPECT_EQ(VerifySigV4(unsigned_request, kCredentials, kNowUs).error().message(),
            "the request is not signed with AWS Signature Version 4");
  Request wrong_secret = Signed();
  EXPECT_FALSE(VerifySigV4(wrong_secret, {{"AKIDEXAMPLE", "another"}}, kNowUs));
}

}  // namespace
}  // namespace promorec::http
