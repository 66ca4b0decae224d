#include "promorec/event/binary_record.h"

#include <bit>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <optional>

#include "promorec/base/crc32c.h"
#include "promorec/event/limits.h"
#include "promorec/event/validate.h"

namespace promorec::event {
namespace {

constexpr std::uint8_t kHasPrice = 1u << 0;
constexpr std::uint8_t kHasQuantity = 1u << 1;
constexpr std::uint8_t kHasSession = 1u << 2;
constexpr std::uint8_t kHasAttributes = 1u << 3;
constexpr std::uint8_t kHasPromotionCode = 1u << 4;  // version 2 on
constexpr std::uint8_t kKnownFlagsV1 = kHasPrice | kHasQuantity | kHasSession | kHasAttributes;
constexpr std::uint8_t kKnownFlags = kKnownFlagsV1 | kHasPromotionCode;
constexpr std::size_t kMaxVarintBytes = 10;
constexpr std::uint64_t kMaxTimestampMicros =
    static_cast<std::uint64_t>(kMaxTimestampSeconds) * 1'000'000u;

// Both build the bytes locally and append them at once.
void PutVarint(std::uint64_t value, std::string* out) {
  char bytes[kMaxVarintBytes];
  std::size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out->append(bytes, n);
}

void PutFixed(std::uint64_t value, int bytes, std::string* out) {
  char little_endian[8];
  for (int i = 0; i < bytes; ++i) {
    little_endian[i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  out->append(little_endian, static_cast<std::size_t>(bytes));
}

void PutString(std::string_view value, std::string* out) {
  PutVarint(value.size(), out);
  out->append(value);
}

std::string Hex(std::uint64_t value, int width) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*" PRIX64, width, value);
  return buf;
}

// Reads the fields of a record front to back; every error names the field
// being read and, when the data runs out, the offset where it did.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }

  DecodeStatus Byte(std::string_view field, std::uint8_t* value) {
    if (remaining() < 1) return Truncated(field, 1);
    *value = static_cast<std::uint8_t>(data_[pos_++]);
    return {};
  }

  DecodeStatus Fixed(std::string_view field, int bytes, std::uint64_t* value) {
    const auto size = static_cast<std::size_t>(bytes);
    if (remaining() < size) return Truncated(field, size);
    std::uint64_t v = 0;
    for (std::size_t i = size; i > 0; --i) {
      v = (v << 8) | static_cast<std::uint8_t>(data_[pos_ + i - 1]);
    }
    pos_ += size;
    *value = v;
    return {};
  }

  DecodeStatus Varint(std::string_view field, std::uint64_t* value) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < kMaxVarintBytes; ++i) {
      if (remaining() < 1) {
        return Reject(Reason::kTruncated, field,
                      "data ends at byte " + std::to_string(pos_) + " inside a varint");
      }
      const auto b = static_cast<std::uint8_t>(data_[pos_++]);
      if (i == kMaxVarintBytes - 1 && b > 1) {
        return Reject(Reason::kBadRecord, field,
                      "varint at byte " + std::to_string(pos_ - i - 1) + " is longer than 64 bits");
      }
      v |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          return Reject(Reason::kBadRecord, field,
                        "varint at byte " + std::to_string(pos_ - i - 1) +
                            " has redundant trailing zero groups (not canonical)");
        }
        *value = v;
        return {};
      }
    }
    return Reject(Reason::kBadRecord, field, "varint longer than 10 bytes");
  }

  // A length-prefixed string of at most `limit` bytes. The declared length
  // is checked before the bytes are looked for, so a corrupt length reports
  // what it claims rather than a confusing truncation.
  DecodeStatus String(std::string_view field, std::size_t limit, std::string* out) {
    std::uint64_t length = 0;
    if (auto s = Varint(field, &length); !s) return s;
    if (length > limit) {
      return Reject(
          Reason::kFieldTooLong, field,
          "is " + std::to_string(length) + " bytes, the limit is " + std::to_string(limit));
    }
    const auto size = static_cast<std::size_t>(length);
    if (remaining() < size) return Truncated(field, size);
    out->assign(data_.substr(pos_, size));
    pos_ += size;
    return {};
  }

 private:
  DecodeStatus Truncated(std::string_view field, std::size_t needed) const {
    return Reject(Reason::kTruncated, field,
                  "data ends at byte " + std::to_string(data_.size()) + ", " +
                      std::to_string(needed - remaining()) + " byte(s) short");
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

// The name an attribute value is reported under: "attributes.<key>" when
// the key is printable, else just "attributes" (the key itself is checked
// later, after the checksum).
std::string AttributeField(std::string_view key) {
  if (CheckId("attributes", key, true)) return "attributes." + std::string(key);
  return "attributes";
}

DecodeStatus ReadAttributes(Reader* r, ClickEvent* out) {
  std::uint64_t count = 0;
  if (auto s = r->Varint("attributes", &count); !s) return s;
  if (count == 0) {
    return Reject(Reason::kBadRecord, "attributes", "flag set but the count is 0");
  }
  if (count > kMaxAttributes) {
    return Reject(Reason::kFieldTooLong, "attributes",
                  "has " + std::to_string(count) + " entries, the limit is " +
                      std::to_string(kMaxAttributes));
  }
  out->attributes.resize(static_cast<std::size_t>(count));
  for (auto& [key, value] : out->attributes) {
    if (auto s = r->String("attributes", kMaxAttributeKeyBytes, &key); !s) return s;
    if (auto s = r->String(AttributeField(key), kMaxAttributeValueBytes, &value); !s) return s;
  }
  return {};
}

// Everything before the checksum, checked for shape only.
// The timestamp and quantity come back wide and are range-checked after the
// checksum, with the other content checks.
DecodeStatus ReadBody(Reader* r, ClickEvent* out, std::uint64_t* timestamp,
                      std::optional<std::uint64_t>* quantity) {
  std::uint8_t magic = 0;
  if (auto s = r->Byte("", &magic); !s) return s;
  if (magic != kBinaryRecordMagic) {
    return Reject(Reason::kBadRecord, "",
                  "bad magic byte " + Hex(magic, 2) + " (expected " + Hex(kBinaryRecordMagic, 2) +
                      "); not an event record");
  }
  std::uint8_t version = 0;
  if (auto s = r->Byte("", &version); !s) return s;
  if (version < kOldestBinaryRecordVersion || version > kBinaryRecordVersion) {
    return Reject(Reason::kUnsupportedVersion, "",
                  "record version " + std::to_string(version) + "; this build reads versions " +
                      std::to_string(kOldestBinaryRecordVersion) + " to " +
                      std::to_string(kBinaryRecordVersion));
  }
  std::uint8_t flags = 0;
  if (auto s = r->Byte("flags", &flags); !s) return s;
  const std::uint8_t known = version == 1 ? kKnownFlagsV1 : kKnownFlags;
  if (const unsigned unknown = flags & (0xFFu ^ known); unknown != 0) {
    return Reject(Reason::kBadRecord, "flags", "unknown flag bits " + Hex(unknown, 2));
  }
  if (auto s = r->String("event_id", kMaxIdBytes, &out->event_id); !s) return s;
  if (auto s = r->String("user_id", kMaxIdBytes, &out->user_id); !s) return s;
  if (auto s = r->String("offer_id", kMaxIdBytes, &out->offer_id); !s) return s;
  if (auto s = r->String("country", kMaxIdBytes, &out->country); !s) return s;
  if (auto s = r->String("category", kMaxIdBytes, &out->category); !s) return s;
  if (auto s = r->String("product", kMaxIdBytes, &out->product); !s) return s;
  if (auto s = r->Varint("timestamp", timestamp); !s) return s;
  if (version == 1) {
    // Version 1 had a rating and no type: 0 = view, 1 = buy.
    if (auto s = r->Byte("rating", &out->rating); !s) return s;
    out->type = EventTypeFromRating(out->rating);
  } else {
    std::uint8_t type = 0;
    if (auto s = r->Byte("type", &type); !s) return s;
    // A number above kMaxEventType is kept as it is for the validator to
    // reject (with the rating it implies, so that only the type is named).
    out->type = static_cast<EventType>(type);
    out->rating = type == 0 ? 0 : 1;
  }
  if ((flags & kHasPrice) != 0) {
    std::uint64_t bits = 0;
    if (auto s = r->Fixed("price", 8, &bits); !s) return s;
    out->price = std::bit_cast<double>(bits);
  }
  if ((flags & kHasQuantity) != 0) {
    std::uint64_t value = 0;
    if (auto s = r->Varint("quantity", &value); !s) return s;
    *quantity = value;
  }
  if ((flags & kHasSession) != 0) {
    if (auto s = r->String("session_id", kMaxIdBytes, &out->session_id); !s) return s;
    if (out->session_id.empty()) {
      return Reject(Reason::kBadRecord, "session_id", "flag set but the string is empty");
    }
  }
  if ((flags & kHasAttributes) != 0) {
    if (auto s = ReadAttributes(r, out); !s) return s;
  }
  if ((flags & kHasPromotionCode) != 0) {
    if (auto s = r->String("promotion_code", kMaxIdBytes, &out->promotion_code); !s) return s;
    if (out->promotion_code.empty()) {
      return Reject(Reason::kBadRecord, "promotion_code", "flag set but the string is empty");
    }
  }
  return {};
}

}  // namespace

void AppendBinaryRecord(const ClickEvent& event, std::string* out) {
  const std::size_t start = out->size();
  std::uint8_t flags = 0;
  if (event.price) flags |= kHasPrice;
  if (event.quantity) flags |= kHasQuantity;
  if (!event.session_id.empty()) flags |= kHasSession;
  if (!event.attributes.empty()) flags |= kHasAttributes;
  if (!event.promotion_code.empty()) flags |= kHasPromotionCode;
  out->push_back(static_cast<char>(kBinaryRecordMagic));
  out->push_back(static_cast<char>(kBinaryRecordVersion));
  out->push_back(static_cast<char>(flags));
  PutString(event.event_id, out);
  PutString(event.user_id, out);
  PutString(event.offer_id, out);
  PutString(event.country, out);
  PutString(event.category, out);
  PutString(event.product, out);
  PutVarint(static_cast<std::uint64_t>(event.timestamp_us), out);
  out->push_back(static_cast<char>(event.type));
  if (event.price) PutFixed(std::bit_cast<std::uint64_t>(*event.price), 8, out);
  if (event.quantity) PutVarint(*event.quantity, out);
  if (!event.session_id.empty()) PutString(event.session_id, out);
  if (!event.attributes.empty()) {
    PutVarint(event.attributes.size(), out);
    for (const auto& [key, value] : event.attributes) {
      PutString(key, out);
      PutString(value, out);
    }
  }
  if (!event.promotion_code.empty()) PutString(event.promotion_code, out);
  const std::uint32_t crc = base::Crc32c(std::string_view(*out).substr(start));
  PutFixed(base::Crc32cMask(crc), 4, out);
}

namespace {

DecodeStatus Decode(std::string_view data, ClickEvent* out, bool validate) {
  out->Clear();
  Reader reader(data);
  std::uint64_t timestamp = 0;
  std::optional<std::uint64_t> quantity;
  if (auto s = ReadBody(&reader, out, &timestamp, &quantity); !s) return s;
  const std::size_t body_size = reader.pos();
  std::uint64_t stored = 0;
  if (auto s = reader.Fixed("checksum", 4, &stored); !s) return s;
  const std::uint32_t computed = base::Crc32cMask(base::Crc32c(data.substr(0, body_size)));
  if (stored != computed) {
    return Reject(
        Reason::kChecksumMismatch, "",
        "stored checksum " + Hex(stored, 8) + " does not match computed " + Hex(computed, 8));
  }
  if (reader.remaining() != 0) {
    return Reject(Reason::kBadRecord, "",
                  std::to_string(reader.remaining()) + " byte(s) after the checksum at byte " +
                      std::to_string(body_size));
  }
  if (timestamp >= kMaxTimestampMicros) {
    return Reject(Reason::kBadTimestamp, "timestamp", "timestamp outside 1970-01-01 .. 2200-01-01");
  }
  out->timestamp_us = static_cast<std::int64_t>(timestamp);
  if (quantity) {
    if (*quantity > std::numeric_limits<std::uint32_t>::max()) {
      return Reject(Reason::kBadNumber, "quantity",
                    "is " + std::to_string(*quantity) + ", the limit is " +
                        std::to_string(std::numeric_limits<std::uint32_t>::max()));
    }
    out->quantity = static_cast<std::uint32_t>(*quantity);
  }
  if (!validate) return {};
  return ValidateEvent(*out);
}

}  // namespace

DecodeStatus DecodeBinaryRecord(std::string_view data, ClickEvent* out) {
  return Decode(data, out, true);
}

DecodeStatus DecodeValidatedBinaryRecord(std::string_view data, ClickEvent* out) {
  return Decode(data, out, false);
}

}  // namespace promorec::event
