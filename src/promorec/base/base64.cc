#include "promorec/base/base64.h"

#include <array>
#include <cstdint>

namespace promorec::base {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = MakeDecodeTable();

std::string DescribeByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x21 && byte < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xF];
}

}  // namespace

void AppendBase64(std::string_view data, std::string* out) {
  const std::size_t start = out->size();
  out->resize(start + Base64EncodedSize(data.size()));
  char* p = out->data() + start;
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(data[i + 2])};
    *p++ = kAlphabet[(group >> 18) & 63];
    *p++ = kAlphabet[(group >> 12) & 63];
    *p++ = kAlphabet[(group >> 6) & 63];
    *p++ = kAlphabet[group & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 0) return;
  std::uint32_t group = std::uint32_t{static_cast<unsigned char>(data[i])} << 16;
  if (rest == 2) group |= std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
  *p++ = kAlphabet[(group >> 18) & 63];
  *p++ = kAlphabet[(group >> 12) & 63];
  *p++ = rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
  *p = '=';
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  AppendBase64(data, &out);
  return out;
}

std::size_t Base64DecodedSize(std::string_view text) {
  std::size_t size = text.size() / 4 * 3;
  if (size == 0) return 0;
  const std::string_view tail = text.substr(text.size() / 4 * 4 - 2, 2);
  if (tail[1] == '=') --size;
  if (tail[0] == '=') --size;
  return size;
}

Status Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  if (text.size() % 4 != 0) {
    return InvalidArgument("base64 text of " + std::to_string(text.size()) +
                           " characters is not a multiple of 4 long");
  }
  out->reserve(Base64DecodedSize(text));
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    // '=' may stand only in the last group: in its last place, or in both
    // of its last two places.
    std::size_t padding = 0;
    if (last && text[i + 3] == '=') padding = text[i + 2] == '=' ? 2 : 1;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4 - padding; ++j) {
      const char c = text[i + j];
      const std::uint8_t value = kDecode[static_cast<unsigned char>(c)];
      if (value == kInvalid) {
        const std::string what = c == '=' ? "padding '='" : DescribeByte(c);
        return InvalidArgument("base64 text has " + what + " at offset " + std::to_string(i + j) +
                               (c == '=' ? ", before its end" : ", outside the alphabet"));
      }
      group = (group << 6) | value;
    }
    group <<= 6 * padding;
    if (padding == 2 && (group & 0xFFFF) != 0) {
      return InvalidArgument("base64 text has nonzero unused bits in its last character (offset " +
                             std::to_string(i + 1) + ")");
    }
    if (padding == 1 && (group & 0xFF) != 0) {
      return InvalidArgument("base64 text has nonzero unused bits in its last character (offset " +
                             std::to_string(i + 2) + ")");
    }
    out->push_back(static_cast<char>((group >> 16) & 0xFF));
    if (padding < 2) out->push_back(static_cast<char>((group >> 8) & 0xFF));
    if (padding < 1) out->push_back(static_cast<char>(group & 0xFF));
  }
  return {};
}

Result<std::string> Base64Decode(std::string_view text) {
  std::string out;
  PROMOREC_RETURN_IF_ERROR(Base64Decode(text, &out));
  return out;
}

}  // namespace promorec::base
