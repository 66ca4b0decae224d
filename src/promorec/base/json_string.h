// JSON string escaping shared by every JSON writer (event encoder,
// dead-letter records, import summaries).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace promorec::base {

// Appends `value` as a quoted JSON string. Control characters become \u00XX;
// bytes that are not valid UTF-8 become U+FFFD, so the output is always
// valid JSON.
void AppendJsonString(std::string_view value, std::string* out);

// The body of every error promorec answers with over HTTP (except on the
// AWS-compatible routes): {"error":{"code":"...","message":"..."}} and a
// line break.
std::string ErrorJson(std::string_view code, std::string_view message);

}  // namespace promorec::base
