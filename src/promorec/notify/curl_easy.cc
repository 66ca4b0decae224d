#include "promorec/notify/curl_easy.h"

#include <mutex>
#include <string>

namespace promorec::notify {

base::Status InitCurl() {
  static std::once_flag once;
  static CURLcode code = CURLE_OK;
  std::call_once(once, [] { code = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (code != CURLE_OK) {
    return base::MakeError(base::Code::kInternal, std::string("libcurl initialisation failed: ") +
                                                      curl_easy_strerror(code));
  }
  return {};
}

void SlistAppend(CurlSlist* list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list->get(), line.c_str());
  if (grown != nullptr) {
    (void)list->release();
    list->reset(grown);
  }
}

int AbortWhenCancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = out.find_first_of("/?#", authority);
    const std::size_t at =
        out.rfind('@', authority_end == std::string::npos ? out.size() - 1 : authority_end - 1);
    if (at != std::string::npos && at >= authority) out.erase(authority, at + 1 - authority);
  }
  if (const std::size_t query = out.find('?'); query != std::string::npos) {
    out.resize(query);
    out += "?...";
  }
  return out;
}

std::string Excerpt(std::string_view text, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string CurlErrorText(CURLcode code, const char* detail) {
  std::string out = curl_easy_strerror(code);
  if (detail != nullptr && detail[0] != '\0' && out != detail) {
    out += " (";
    out += detail;
    out += ")";
  }
  return out;
}

}  // namespace promorec::notify
