// libFuzzer target for MessageTemplate::Parse: any bytes must parse or be
// refused with an error that names the template, without a crash or
// sanitizer report; an accepted template must render as a plain reading of
// its text does ("{{" and "}}" as braces, each placeholder as its value).
// Seed corpus: tests/corpus/notify_template/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/notify/message_template.h"

using promorec::notify::MessageTemplate;
using promorec::notify::TemplateValues;

namespace {

const TemplateValues kValues{.product = "<P>", .promotion = "<R>", .code = "<C>", .user = "<U>"};

std::string Reference(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((text[i] == '{' || text[i] == '}') && i + 1 < text.size() && text[i + 1] == text[i]) {
      out.push_back(text[i]);
      ++i;
    } else if (text[i] == '{') {
      const std::size_t end = text.find('}', i);
      if (end == std::string_view::npos) std::abort();
      const std::string_view name = text.substr(i + 1, end - i - 1);
      if (name == "product") {
        out += kValues.product;
      } else if (name == "promotion") {
        out += kValues.promotion;
      } else if (name == "code") {
        out += kValues.code;
      } else if (name == "user") {
        out += kValues.user;
      } else {
        std::abort();
      }
      i = end;
    } else if (text[i] == '}') {
      std::abort();
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = MessageTemplate::Parse(text);
  if (!parsed) {
    if (!parsed.error().message().starts_with("template")) std::abort();
    return 0;
  }
  if (parsed->text() != text) std::abort();
  if (parsed->Render(kValues) != Reference(text)) std::abort();
  return 0;
}
