// AWS Signature Version 4 checking, for the AWS-compatible routes (the
// Kinesis API and the SageMaker runtime) when credentials are configured:
// the request's Authorization header must carry a signature that the
// configured secret of its access key reproduces over the canonical request,
// and its X-Amz-Date must be within 15 minutes of now. Without configured
// credentials the routes only require that a signature is present (clients
// such as the AWS CLI always sign).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "promorec/base/status.h"
#include "promorec/http/server.h"

namespace promorec::http {

// Access key id -> secret access key.
using AwsCredentials = std::map<std::string, std::string>;

// OK, or why the signature is refused ("signature does not match", "unknown
// access key 'X'", "request time is more than 15 minutes from now", ...).
[[nodiscard]] base::Status VerifySigV4(const Request& request, const AwsCredentials& credentials,
                                       std::int64_t now_us);

// The signature (lower-case hex) of `request` as the client computes it,
// given the parts of its Authorization header. Exposed for tests.
std::string SigV4Signature(const Request& request, std::string_view secret,
                           std::string_view amz_date, std::string_view scope,
                           std::string_view signed_headers);

}  // namespace promorec::http
