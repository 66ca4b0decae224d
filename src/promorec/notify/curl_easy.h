// What the webhook and email senders share about libcurl: one process-wide
// initialisation, handles that free themselves, a progress callback that
// aborts a transfer when the queue stops, and URLs as logs and dead letters
// may show them. Internal to notify/.
// Thread-safety: InitCurl and the pure functions from any thread; a handle
// belongs to one thread at a time.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::notify {

// curl_global_init, once per process (libcurl asks for it before threads
// use handles). An error names what failed.
[[nodiscard]] base::Status InitCurl();

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Appends `line` to `*list` (curl_slist_append copies it).
void SlistAppend(CurlSlist* list, const std::string& line);

// A CURLOPT_XFERINFOFUNCTION: aborts the transfer once the
// std::atomic<bool> given as CURLOPT_XFERINFODATA is true.
int AbortWhenCancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

// `url` without its user name and password, and with its query replaced by
// "?...", as logs and dead letters show it (they may hold credentials).
std::string RedactUrl(std::string_view url);

// At most `limit` bytes of `text` with control and non-ASCII bytes as '?'
// and "..." when cut: a receiver's answer quoted in an error.
std::string Excerpt(std::string_view text, std::size_t limit);

// "libcurl's message (detail)" for a failed transfer; `detail` is the
// CURLOPT_ERRORBUFFER text, left out when empty or the same.
std::string CurlErrorText(CURLcode code, const char* detail);

}  // namespace promorec::notify
