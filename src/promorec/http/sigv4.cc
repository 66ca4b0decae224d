#include "promorec/http/sigv4.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

#include "promorec/base/strings.h"

namespace promorec::http {
namespace {

constexpr std::int64_t kMaxSkewUs = 15LL * 60 * 1'000'000;

std::string Hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

// RFC 3986 unreserved characters stay; everything else is %XX (upper case).
std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

// A header value as SigV4 canonicalises it: trimmed, runs of spaces as one.
std::string CanonicalValue(std::string_view v) {
  v = base::Trim(v);
  std::string out;
  bool space = false;
  for (const char c : v) {
    if (c == ' ') {
      if (!space) out.push_back(' ');
      space = true;
    } else {
      out.push_back(c);
      space = false;
    }
  }
  return out;
}

// The value of `name=` in "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., ...".
std::string_view Part(std::string_view header, std::string_view name) {
  const std::size_t at = header.find(name);
  if (at == std::string_view::npos) return {};
  std::string_view rest = header.substr(at + name.size());
  return rest.substr(0, std::min(rest.find(','), rest.size()));
}

std::int64_t EpochMicrosOfAmzDate(std::string_view date) {
  // 20150830T123600Z
  if (date.size() != 16 || date[8] != 'T' || date[15] != 'Z') return -1;
  std::tm tm{};
  const std::string text(date);
  if (std::sscanf(text.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000;
}

}  // namespace

std::string SigV4Signature(const Request& request, std::string_view secret,
                           std::string_view amz_date, std::string_view scope,
                           std::string_view signed_headers) {
  std::string canonical = request.method + "\n" + UriEncode(request.path, true) + "\n";
  bool first = true;
  for (const auto& [key, value] : request.query) {  // std::map: sorted by name
    if (!first) canonical += "&";
    first = false;
    canonical += UriEncode(key, false) + "=" + UriEncode(value, false);
  }
  canonical += "\n";
  std::size_t at = 0;
  while (at < signed_headers.size()) {
    std::size_t end = std::min(signed_headers.find(';', at), signed_headers.size());
    const std::string name(signed_headers.substr(at, end - at));
    canonical += name + ":" + CanonicalValue(request.Header(name)) + "\n";
    at = end + 1;
  }
  canonical += "\n" + std::string(signed_headers) + "\n";
  const std::string_view payload = request.Header("x-amz-content-sha256");
  canonical += payload.empty() || payload == "UNSIGNED-PAYLOAD" ? Sha256Hex(request.body)
                                                                : std::string(payload);
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" +
                              std::string(scope) + "\n" + Sha256Hex(canonical);
  // scope: date/region/service/aws4_request
  std::string key = "AWS4" + std::string(secret);
  std::size_t from = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t end = std::min(scope.find('/', from), scope.size());
    key = Hmac(key, scope.substr(from, end - from));
    from = end + 1;
  }
  const std::string signature = Hmac(key, to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

base::Status VerifySigV4(const Request& request, const AwsCredentials& credentials,
                         std::int64_t now_us) {
  const std::string_view header = request.Header("authorization");
  if (!header.starts_with("AWS4-HMAC-SHA256 ")) {
    return base::InvalidArgument("the request is not signed with AWS Signature Version 4");
  }
  const std::string_view credential = Part(header, "Credential=");
  const std::string_view signed_headers = Part(header, "SignedHeaders=");
  const std::string_view signature = Part(header, "Signature=");
  const std::size_t slash = credential.find('/');
  if (slash == std::string_view::npos || signed_headers.empty() || signature.empty()) {
    return base::InvalidArgument("the Authorization header is malformed");
  }
  const std::string access_key(credential.substr(0, slash));
  const std::string_view scope = credential.substr(slash + 1);
  const auto secret = credentials.find(access_key);
  if (secret == credentials.end()) {
    return base::InvalidArgument("unknown access key '" + access_key + "'");
  }
  const std::string_view amz_date = request.Header("x-amz-date");
  const std::int64_t when = EpochMicrosOfAmzDate(amz_date);
  if (when < 0) return base::InvalidArgument("X-Amz-Date is missing or malformed");
  if (when > now_us + kMaxSkewUs || when < now_us - kMaxSkewUs) {
    return base::InvalidArgument("request time is more than 15 minutes from now");
  }
  if (scope.substr(0, 8) != amz_date.substr(0, 8)) {
    return base::InvalidArgument("the credential scope's date is not the request's");
  }
  const std::string expected =
      SigV4Signature(request, secret->second, amz_date, scope, signed_headers);
  // Compared in constant time.
  unsigned diff = expected.size() == signature.size() ? 0u : 1u;
  for (std::size_t i = 0; i < std::min(expected.size(), signature.size()); ++i) {
    diff |= static_cast<unsigned>(expected[i] ^ signature[i]);
  }
  if (diff != 0) return base::InvalidArgument("signature does not match");
  return {};
}

}  // namespace promorec::http
