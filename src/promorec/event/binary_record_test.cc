#include "promorec/event/binary_record.h"

#include <gtest/gtest.h>

#include <string>

#include "promorec/base/crc32c.h"
#include "promorec/event/event_test_util.h"
#include "promorec/event/limits.h"

namespace promorec::event {
namespace {

ClickEvent Minimal() {
  ClickEvent e;
  e.user_id = "u";
  e.product = "p";
  e.timestamp_us = 1518318207844800;
  e.rating = 1;
  e.type = EventType::kBuy;
  return e;
}

std::string Encode(const ClickEvent& e) {
  std::string out;
  AppendBinaryRecord(e, &out);
  return out;
}

// `body` followed by its masked CRC-32C, as a writer would seal it.
std::string Seal(std::string body) {
  const std::uint32_t crc = base::Crc32cMask(base::Crc32c(body));
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return body;
}

// The body of Minimal() (without its checksum), with `tail` in place of
// everything from the timestamp on.
std::string MinimalBody(std::uint8_t flags, std::string_view tail,
                        std::uint8_t version = kBinaryRecordVersion) {
  std::string body = {'\xC1',
                      static_cast<char>(version),
                      static_cast<char>(flags),
                      '\0',
                      '\1',
                      'u',
                      '\0',
                      '\0',
                      '\0',
                      '\1',
                      'p'};
  body.append(tail);
  return body;
}

FieldError DecodeError(std::string_view data) {
  ClickEvent e;
  auto s = DecodeBinaryRecord(data, &e);
  EXPECT_FALSE(s.has_value());
  return s.has_value() ? FieldError{} : s.error();
}

TEST(BinaryRecord, MatchesTheDocumentedExample) {
  const std::string record = Encode(Minimal());
  ASSERT_EQ(record.size(), 24u);
  const std::string body = MinimalBody(0, "\xC0\x83\xBD\x8B\xF0\x9C\xD9\x02\x02");
  EXPECT_EQ(record, Seal(body));
  EXPECT_EQ(record.substr(20), "\xCB\x9D\xF9\x49");  // as docs/formats/event-record.md shows
}

// Records written before events had a type carry a rating: 0 reads as a
// view, 1 as a buy.
TEST(BinaryRecord, ReadsVersion1) {
  const std::string timestamp = "\xC0\x83\xBD\x8B\xF0\x9C\xD9\x02";
  const std::string v1 = Seal(MinimalBody(0, timestamp + "\x01", 1));
  EXPECT_EQ(v1.substr(20), "\xE9\xF3\xB1\xA9");
  ClickEvent back;
  ASSERT_TRUE(DecodeBinaryRecord(v1, &back));
  EXPECT_EQ(back, Minimal());
  EXPECT_EQ(back.type, EventType::kBuy);
  ASSERT_TRUE(DecodeBinaryRecord(Seal(MinimalBody(0, timestamp + '\0', 1)), &back));
  EXPECT_EQ(back.type, EventType::kView);
  EXPECT_EQ(back.rating, 0);
  EXPECT_EQ(DecodeError(Seal(MinimalBody(0, timestamp + "\x02", 1))).reason, Reason::kBadRating);
  // Version 1 has no promotion code.
  EXPECT_EQ(DecodeError(Seal(MinimalBody(0x10, timestamp + "\x01\x01c", 1))),
            (FieldError{Reason::kBadRecord, "flags", "unknown flag bits 0x10"}));
}

TEST(BinaryRecord, TypeAndPromotionCode) {
  ClickEvent e = Minimal();
  e.type = EventType::kClick;
  e.promotion_code = "SPRING10";
  ClickEvent back;
  ASSERT_TRUE(DecodeBinaryRecord(Encode(e), &back));
  EXPECT_EQ(back, e);
  EXPECT_EQ(Encode(e)[2], '\x10');
  // The record stores the type; the rating is what the type implies.
  e.rating = 0;
  ASSERT_TRUE(DecodeBinaryRecord(Encode(e), &back));
  EXPECT_EQ(back.rating, 1);
}

TEST(BinaryRecord, SmallestRecord) {
  ClickEvent e = Minimal();
  e.timestamp_us = 0;
  EXPECT_EQ(Encode(e).size(), kMinBinaryRecordBytes);
}

TEST(BinaryRecord, RoundTripsRandomEventsCanonically) {
  RandomEventGenerator gen(7);
  ClickEvent back;
  for (int i = 0; i < 5000; ++i) {
    ClickEvent e = gen.Next();
    if (i % 3 == 0) e.event_id.clear();
    const std::string record = Encode(e);
    auto s = DecodeBinaryRecord(record, &back);
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    ASSERT_EQ(back, e);
    ASSERT_EQ(Encode(back), record);
  }
}

TEST(BinaryRecord, AppendsAfterExistingBytes) {
  std::string out = "prefix";
  AppendBinaryRecord(Minimal(), &out);
  ClickEvent back;
  ASSERT_TRUE(DecodeBinaryRecord(std::string_view(out).substr(6), &back));
  EXPECT_EQ(back, Minimal());
}

TEST(BinaryRecord, EveryPrefixIsTruncated) {
  ClickEvent e = Minimal();
  e.price = 1.5;
  e.quantity = 300;
  e.session_id = "s";
  e.attributes = {{"k", "v"}};
  const std::string record = Encode(e);
  for (std::size_t n = 0; n < record.size(); ++n) {
    const FieldError error = DecodeError(std::string_view(record).substr(0, n));
    EXPECT_EQ(error.reason, Reason::kTruncated) << n << ": " << error.ToString();
    EXPECT_NE(error.detail.find("byte " + std::to_string(n)), std::string::npos)
        << error.ToString();
  }
  EXPECT_EQ(DecodeError(""),
            (FieldError{Reason::kTruncated, "", "data ends at byte 0, 1 byte(s) short"}));
  EXPECT_EQ(DecodeError(std::string_view(record).substr(0, 12)),
            (FieldError{Reason::kTruncated, "timestamp", "data ends at byte 12 inside a varint"}));
}

TEST(BinaryRecord, Header) {
  std::string record = Encode(Minimal());
  record[0] = '{';
  EXPECT_EQ(DecodeError(record),
            (FieldError{Reason::kBadRecord, "",
                        "bad magic byte 0x7B (expected 0xC1); not an event record"}));
  record = Encode(Minimal());
  record[1] = 3;
  EXPECT_EQ(DecodeError(record),
            (FieldError{Reason::kUnsupportedVersion, "",
                        "record version 3; this build reads versions 1 to 2"}));
  record[1] = 0;
  EXPECT_EQ(DecodeError(record).reason, Reason::kUnsupportedVersion);
  EXPECT_EQ(DecodeError(Seal(MinimalBody(0x30, "\x00\x01"))),
            (FieldError{Reason::kBadRecord, "flags", "unknown flag bits 0x20"}));
}

TEST(BinaryRecord, ChecksumAndTrailingBytes) {
  std::string record = Encode(Minimal());
  record[5] = 'v';
  EXPECT_EQ(DecodeError(record).reason, Reason::kChecksumMismatch);
  record = Encode(Minimal()) + "xy";
  EXPECT_EQ(DecodeError(record),
            (FieldError{Reason::kBadRecord, "", "2 byte(s) after the checksum at byte 20"}));
}

TEST(BinaryRecord, Varints) {
  EXPECT_EQ(DecodeError(Seal(MinimalBody(0, std::string("\x80\x00\x01", 3)))),
            (FieldError{Reason::kBadRecord, "timestamp",
                        "varint at byte 11 has redundant trailing zero groups (not canonical)"}));
  EXPECT_EQ(
      DecodeError(Seal(MinimalBody(0, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02\x01"))).detail,
      "varint at byte 11 is longer than 64 bits");
  EXPECT_EQ(DecodeError(Seal(MinimalBody(0, "\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01\x01"))),
            (FieldError{Reason::kBadTimestamp, "timestamp",
                        "timestamp outside 1970-01-01 .. 2200-01-01"}));
}

TEST(BinaryRecord, Limits) {
  std::string body = {'\xC1', '\x01', '\0', '\xAC', '\x02'};  // event_id of 300 bytes
  body += std::string(300, 'e');
  EXPECT_EQ(DecodeError(body),
            (FieldError{Reason::kFieldTooLong, "event_id", "is 300 bytes, the limit is 256"}));
  EXPECT_EQ(DecodeError(Seal(MinimalBody(8, std::string("\x00\x01\x41", 3)))),
            (FieldError{Reason::kFieldTooLong, "attributes", "has 65 entries, the limit is 64"}));
  EXPECT_EQ(DecodeError(Seal(MinimalBody(2, std::string("\x00\x01\x80\x80\x80\x80\x10", 7)))),
            (FieldError{Reason::kBadNumber, "quantity", "is 4294967296, the limit is 4294967295"}));
}

TEST(BinaryRecord, CanonicalFlags) {
  EXPECT_EQ(DecodeError(Seal(MinimalBody(4, std::string("\x00\x01\x00", 3)))),
            (FieldError{Reason::kBadRecord, "session_id", "flag set but the string is empty"}));
  EXPECT_EQ(DecodeError(Seal(MinimalBody(8, std::string("\x00\x01\x00", 3)))),
            (FieldError{Reason::kBadRecord, "attributes", "flag set but the count is 0"}));
}

TEST(BinaryRecord, ContentIsValidatedAfterTheChecksum) {
  ClickEvent e = Minimal();
  e.user_id = "a\xC3\x28";
  EXPECT_EQ(DecodeError(Encode(e)).reason, Reason::kInvalidUtf8);
  e = Minimal();
  e.attributes = {{"k", "\xFF"}};
  EXPECT_EQ(DecodeError(Encode(e)).field, "attributes.k");
  e = Minimal();
  e.type = static_cast<EventType>(3);
  EXPECT_EQ(DecodeError(Encode(e)).reason, Reason::kBadType);
  e = Minimal();
  e.price = -1;
  EXPECT_EQ(DecodeError(Encode(e)).reason, Reason::kBadNumber);
  e = Minimal();
  e.product.clear();
  EXPECT_EQ(DecodeError(Encode(e)).reason, Reason::kEmptyField);
  e = Minimal();
  e.timestamp_us = kMaxTimestampSeconds * 1'000'000;
  EXPECT_EQ(DecodeError(Encode(e)).reason, Reason::kBadTimestamp);
}

// For records validated before they were written, the event checks are
// left out but damage is still found.
TEST(BinaryRecord, ValidatedRecordsSkipTheEventChecksButNotTheChecksum) {
  ClickEvent e = Minimal();
  e.type = static_cast<EventType>(3);
  ClickEvent out;
  ASSERT_TRUE(DecodeValidatedBinaryRecord(Encode(e), &out));
  EXPECT_EQ(out, e);
  EXPECT_FALSE(DecodeBinaryRecord(Encode(e), &out));
  std::string record = Encode(Minimal());
  record[5] = 'v';
  auto damaged = DecodeValidatedBinaryRecord(record, &out);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().reason, Reason::kChecksumMismatch);
  EXPECT_FALSE(DecodeValidatedBinaryRecord(Encode(Minimal()).substr(0, 10), &out));
}

}  // namespace
}  // namespace promorec::event
