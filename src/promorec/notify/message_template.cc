#include "promorec/notify/message_template.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace promorec::notify {
namespace {

constexpr std::size_t kShownNameBytes = 40;

// Offset of the first byte that is not part of a valid UTF-8 sequence
// (overlong forms, surrogates and code points past U+10FFFF included);
// text.size() when all of it is valid.
std::size_t FirstInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      if (b == 0xE0) low = 0xA0;
      if (b == 0xED) high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      if (b == 0xF0) low = 0x90;
      if (b == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      const unsigned char lo = k == 1 ? low : 0x80;
      const unsigned char hi = k == 1 ? high : 0xBF;
      if (c < lo || c > hi) return i;
    }
    i += length;
  }
  return text.size();
}

// The placeholder as the error shows it: printable ASCII kept, other bytes
// as \xHH, cut after kShownNameBytes.
std::string Shown(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < name.size() && i < kShownNameBytes; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  if (name.size() > kShownNameBytes) out += "...";
  return out;
}

std::unexpected<base::Error> At(std::size_t offset, const std::string& what) {
  return base::InvalidArgument("template at byte " + std::to_string(offset) + ": " + what);
}

}  // namespace

base::Result<MessageTemplate> MessageTemplate::Parse(std::string_view text) {
  if (text.size() > kMaxTemplateBytes) {
    return base::InvalidArgument("template is " + std::to_string(text.size()) + " bytes; at most " +
                                 std::to_string(kMaxTemplateBytes));
  }
  if (const std::size_t bad = FirstInvalidUtf8(text); bad != text.size()) {
    return At(bad, "not valid UTF-8");
  }
  static constexpr std::array<std::pair<std::string_view, Slot>, 4> kNames = {{
      {"product", Slot::kProduct},
      {"promotion", Slot::kPromotion},
      {"code", Slot::kCode},
      {"user", Slot::kUser},
  }};
  MessageTemplate result;
  result.text_ = std::string(text);
  std::string literal;
  const auto flush = [&] {
    if (literal.empty()) return;
    result.literal_bytes_ += literal.size();
    result.pieces_.push_back({Slot::kLiteral, std::move(literal)});
    literal.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal.push_back('}');
        i += 2;
        continue;
      }
      return At(i, "a lone } (write }} for a literal brace)");
    }
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      i += 2;
      continue;
    }
    const std::size_t end = text.find_first_of("{}", i + 1);
    if (end == std::string_view::npos || text[end] == '{') {
      const std::size_t stop = end == std::string_view::npos ? text.size() : end;
      return At(i, "placeholder {" + Shown(text.substr(i + 1, stop - i - 1)) +
                       " is not closed (write {{ for a literal brace)");
    }
    const std::string_view name = text.substr(i + 1, end - i - 1);
    const auto* known = std::find_if(kNames.begin(), kNames.end(),
                                     [name](const auto& entry) { return entry.first == name; });
    if (known == kNames.end()) {
      return At(i, "unknown placeholder {" + Shown(name) +
                       "} (known: {product}, {promotion}, {code}, {user}; write {{ for a literal "
                       "brace)");
    }
    flush();
    result.pieces_.push_back({known->second, {}});
    i = end + 1;
  }
  flush();
  return result;
}

MessageTemplate MessageTemplate::DefaultSubject() { return *Parse(kDefaultSubject); }

MessageTemplate MessageTemplate::DefaultMessage() { return *Parse(kDefaultMessage); }

std::string MessageTemplate::Render(const TemplateValues& values) const {
  std::string out;
  RenderTo(values, &out);
  return out;
}

void MessageTemplate::RenderTo(const TemplateValues& values, std::string* out) const {
  std::size_t size = literal_bytes_;
  for (const Piece& piece : pieces_) {
    switch (piece.slot) {
      case Slot::kLiteral:
        break;
      case Slot::kProduct:
        size += values.product.size();
        break;
      case Slot::kPromotion:
        size += values.promotion.size();
        break;
      case Slot::kCode:
        size += values.code.size();
        break;
      case Slot::kUser:
        size += values.user.size();
        break;
    }
  }
  out->reserve(out->size() + size);
  for (const Piece& piece : pieces_) {
    switch (piece.slot) {
      case Slot::kLiteral:
        out->append(piece.literal);
        break;
      case Slot::kProduct:
        out->append(values.product);
        break;
      case Slot::kPromotion:
        out->append(values.promotion);
        break;
      case Slot::kCode:
        out->append(values.code);
        break;
      case Slot::kUser:
        out->append(values.user);
        break;
    }
  }
}

}  // namespace promorec::notify
