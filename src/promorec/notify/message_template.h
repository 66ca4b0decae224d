// The text of a notification's subject and message, with the decision's
// values filled in: "We noticed you were looking at our {product} today."
// Placeholders are {product}, {promotion} (the promotion's text), {code}
// (the coupon code) and {user} (the shopper's id); "{{" and "}}" stand for
// literal braces. Parse checks a template once, when it is configured, so
// that a typo stops the start with its position instead of reaching
// shoppers; Render then only copies. Values are inserted as they are: each
// channel escapes or encodes for its own format (JSON, RFC 2047).
//
// Thread-safety: a value type; Render is const and may run on many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::notify {

// The subject and message the original system sent.
inline constexpr std::string_view kDefaultSubject = "You have a coupon!";
inline constexpr std::string_view kDefaultMessage =
    "We noticed you were looking at our {product} today. We thought that a discount might make "
    "your decision easier - {promotion}! Enter code {code} on the checkout page.";

// A template is at most this long (it is configuration, not data).
inline constexpr std::size_t kMaxTemplateBytes = 64 * 1024;

struct TemplateValues {
  std::string_view product;
  std::string_view promotion;
  std::string_view code;
  std::string_view user;
};

class MessageTemplate {
 public:
  // The template of the empty text: renders "".
  MessageTemplate() = default;

  // InvalidArgument naming the byte offset (0-based) and the placeholder:
  //   template at byte 35: unknown placeholder {prodcut} (known: {product},
  //   {promotion}, {code}, {user}; write {{ for a literal brace)
  // for an unknown or unclosed placeholder, a lone "}", invalid UTF-8 or a
  // text over kMaxTemplateBytes.
  [[nodiscard]] static base::Result<MessageTemplate> Parse(std::string_view text);

  // kDefaultSubject and kDefaultMessage, parsed.
  static MessageTemplate DefaultSubject();
  static MessageTemplate DefaultMessage();

  std::string Render(const TemplateValues& values) const;
  // Appends to `*out` (for callers that reuse a buffer).
  void RenderTo(const TemplateValues& values, std::string* out) const;

  // The text Parse was given.
  const std::string& text() const { return text_; }

 private:
  enum class Slot : std::uint8_t { kLiteral, kProduct, kPromotion, kCode, kUser };
  struct Piece {
    Slot slot;
    std::string literal;  // kLiteral only
  };

  std::string text_;
  std::vector<Piece> pieces_;
  std::size_t literal_bytes_ = 0;
};

}  // namespace promorec::notify
