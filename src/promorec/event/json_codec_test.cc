#include "promorec/event/json_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "promorec/event/event_test_util.h"
#include "promorec/event/limits.h"

namespace promorec::event {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Result {
  std::vector<ClickEvent> events;
  std::vector<std::uint64_t> event_indexes;
  std::vector<Rejection> rejections;
  std::vector<std::uint64_t> reject_indexes;
  JsonBatchStats stats;

  std::vector<std::string> Errors() const {
    std::vector<std::string> out;
    for (const auto& r : rejections) out.push_back(r.ToString());
    return out;
  }
};

Result DecodeAll(std::string_view body, JsonEventDecoder* decoder = nullptr) {
  JsonEventDecoder local;
  if (decoder == nullptr) decoder = &local;
  Result result;
  result.stats = decoder->Decode(
      body, "t",
      [&](const ClickEvent& e, std::uint64_t i) {
        result.events.push_back(e);
        result.event_indexes.push_back(i);
      },
      [&](const Rejection& r, std::uint64_t i) {
        result.rejections.push_back(r);
        result.reject_indexes.push_back(i);
      });
  return result;
}

// One record that must be rejected; returns its error.
FieldError DecodeError(std::string_view json) {
  JsonEventDecoder decoder;
  ClickEvent e;
  auto s = decoder.DecodeOne(json, &e);
  EXPECT_FALSE(s.has_value()) << json;
  return s.has_value() ? FieldError{} : s.error();
}

ClickEvent DecodeOk(std::string_view json) {
  JsonEventDecoder decoder;
  ClickEvent e;
  auto s = decoder.DecodeOne(json, &e);
  EXPECT_TRUE(s.has_value()) << json << ": " << (s ? "" : s.error().ToString());
  return e;
}

TEST(JsonDecode, AllFields) {
  const ClickEvent e = DecodeOk(R"({"event_id": "e1", "user_id": "u1", "offer_id": "o9",
      "country": "de", "category": "shoes", "product": "p1", "timestamp": 1518318207.8448,
      "rating": 1, "price": 12.5, "quantity": 3, "session_id": "s1",
      "attributes": {"color": "red", "size": 42, "gift": true, "ratio": -1.5e3}})");
  EXPECT_EQ(e.event_id, "e1");
  EXPECT_EQ(e.user_id, "u1");
  EXPECT_EQ(e.offer_id, "o9");
  EXPECT_EQ(e.country, "de");
  EXPECT_EQ(e.category, "shoes");
  EXPECT_EQ(e.product, "p1");
  EXPECT_EQ(e.timestamp_us, 1518318207844800);
  EXPECT_EQ(e.rating, 1);
  EXPECT_EQ(e.price, 12.5);
  EXPECT_EQ(e.quantity, 3u);
  EXPECT_EQ(e.session_id, "s1");
  EXPECT_THAT(e.attributes, ElementsAre(std::pair<std::string, std::string>{"color", "red"},
                                        std::pair<std::string, std::string>{"size", "42"},
                                        std::pair<std::string, std::string>{"gift", "true"},
                                        std::pair<std::string, std::string>{"ratio", "-1.5e3"}));
}

TEST(JsonDecode, ClassicAliasesAndNumericIds) {
  const ClickEvent e = DecodeOk(
      R"({"userid": 123, "offerid": 0, "countrycode": "de", "merchant": 987654321987654321987,
          "utcdate": "2016-06-14 17:28:47.0", "rating": "0"})");
  EXPECT_EQ(e.user_id, "123");
  EXPECT_EQ(e.offer_id, "0");
  EXPECT_FALSE(e.HasPromotion());
  EXPECT_EQ(e.country, "de");
  EXPECT_EQ(e.product, "987654321987654321987");
  EXPECT_EQ(e.timestamp_us, 1465925327000000);
  EXPECT_EQ(e.rating, 0);
  EXPECT_EQ(e.event_id.size(), 32u) << "content id assigned";
}

TEST(JsonDecode, ContentIdIsStableAndDefaultTimestampApplies) {
  const std::string json = R"({"user_id": "u", "product": "p", "rating": 1})";
  EXPECT_EQ(DecodeOk(json).event_id, DecodeOk(json).event_id);
  EXPECT_EQ(DecodeOk(json).timestamp_us, 0);
  JsonEventDecoder decoder;
  decoder.set_default_timestamp_us(1'000'000);
  ClickEvent e;
  ASSERT_TRUE(decoder.DecodeOne(json, &e));
  EXPECT_EQ(e.timestamp_us, 1'000'000);
  EXPECT_EQ(e.event_id, DecodeOk(json).event_id)
      << "the time filled in on arrival is not part of the id: a later retry is the same event";
  ASSERT_TRUE(
      decoder.DecodeOne(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": 1})", &e));
  EXPECT_NE(e.event_id, DecodeOk(json).event_id) << "a sent timestamp is";
  decoder.set_timestamp_required();
  auto missing = decoder.DecodeOne(json, &e);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().ToString(),
            "field 'timestamp': is required (also accepted as 'utcdate')");
}

TEST(JsonDecode, NullIsAbsentAndUnknownFieldsAreIgnored) {
  const ClickEvent e = DecodeOk(
      R"({"user_id": "u", "product": "p", "rating": 1, "price": null, "offer_id": null,
          "future": {"deep": [1, {"x": null}, "s", true]}, "another": 1e5})");
  EXPECT_FALSE(e.price.has_value());
  EXPECT_EQ(e.offer_id, "");
}

TEST(JsonDecode, WrongTypeNamesTheFieldAsGiven) {
  EXPECT_EQ(DecodeError(R"({"userid": true, "product": "p", "rating": 1})"),
            (FieldError{Reason::kWrongType, "userid", "must be a string, got a boolean"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": [1]})"),
            (FieldError{Reason::kWrongType, "rating", "must be 0 or 1, got an array"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "price": "3"})"),
            (FieldError{Reason::kWrongType, "price", "must be a number, got a string"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "attributes": []})"),
            (FieldError{Reason::kWrongType, "attributes", "must be an object, got an array"}));
  EXPECT_EQ(DecodeError("[1]"),
            (FieldError{Reason::kWrongType, "", "a record must be a JSON object, got an array"}));
}

TEST(JsonDecode, MissingAndEmptyRequiredFields) {
  EXPECT_EQ(
      DecodeError(R"({"product": "p", "rating": 1})"),
      (FieldError{Reason::kMissingField, "user_id", "is required (also accepted as 'userid')"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "rating": 1})").field, "product");
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p"})"),
            (FieldError{Reason::kMissingField, "type",
                        "is required: give \"type\" (view, click or buy) or \"rating\" (0 = "
                        "view, 1 = buy)"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "merchant": "", "rating": 1})"),
            (FieldError{Reason::kEmptyField, "merchant", "must not be empty"}));
  EXPECT_EQ(DecodeError(R"({"userid": null, "product": "p", "rating": 1})"),
            (FieldError{Reason::kMissingField, "userid", "is required"}));
}

TEST(JsonDecode, Numbers) {
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1.0})").reason,
            Reason::kBadRating);
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "price": -1})"),
            (FieldError{Reason::kBadNumber, "price", "must be a finite number >= 0, got -1"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "price": 1e999})").reason,
            Reason::kBadNumber);
  EXPECT_EQ(DecodeOk(R"({"user_id": "u", "product": "p", "rating": 1, "price": 1e-999})").price,
            0.0);
  EXPECT_EQ(
      DecodeOk(R"({"user_id": "u", "product": "p", "rating": 1, "quantity": 4294967295})").quantity,
      4294967295u);
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "quantity": 4294967296})"),
            (FieldError{Reason::kBadNumber, "quantity", "is 4294967296, the limit is 4294967295"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "quantity": 1.5})"),
            (FieldError{Reason::kBadNumber, "quantity", "must be a whole number >= 0, got 1.5"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "quantity": -2})").reason,
            Reason::kBadNumber);
  EXPECT_EQ(DecodeError(R"({"user_id": 012, "product": "p", "rating": 1})"),
            (FieldError{Reason::kBadJson, "user_id", "not valid JSON: malformed number"}));
}

TEST(JsonDecode, Timestamps) {
  EXPECT_EQ(
      DecodeOk(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": "1518318207.8448"})")
          .timestamp_us,
      1518318207844800);
  EXPECT_EQ(DecodeOk(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": 1518318207})")
                .timestamp_us,
            1518318207000000);
  EXPECT_EQ(
      DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "utcdate": "yesterday"})").field,
      "utcdate");
  EXPECT_EQ(
      DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": 1e9})").reason,
      Reason::kBadTimestamp);
  EXPECT_EQ(
      DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": 99999999999})")
          .reason,
      Reason::kBadTimestamp);
}

TEST(JsonDecode, Duplicates) {
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "user_id": "v"})"),
            (FieldError{Reason::kBadRecord, "user_id", "appears more than once"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "userid": "v"})"),
            (FieldError{Reason::kBadRecord, "userid",
                        "is the same field as 'user_id', which is also given"}));
  // Duplicate unknown fields and attribute keys are allowed.
  const ClickEvent e = DecodeOk(
      R"({"user_id": "u", "product": "p", "rating": 1, "x": 1, "x": 2,
          "attributes": {"k": "1", "k": "2"}})");
  EXPECT_EQ(e.attributes.size(), 2u);
}

TEST(JsonDecode, Attributes) {
  EXPECT_EQ(
      DecodeError(
          R"({"user_id": "u", "product": "p", "rating": 1, "attributes": {"a": {"b": 1}}})"),
      (FieldError{Reason::kWrongType, "attributes.a",
                  "must be a string, number or boolean, got an object (attributes do not nest)"}));
  EXPECT_EQ(
      DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "attributes": {"a": null}})"),
      (FieldError{Reason::kWrongType, "attributes.a",
                  "must be a string, number or boolean, got null"}));
  std::string many = R"({"user_id": "u", "product": "p", "rating": 1, "attributes": {)";
  for (std::size_t i = 0; i <= kMaxAttributes + 1; ++i) {
    many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\": 1";
  }
  many += "}}";
  EXPECT_EQ(DecodeError(many),
            (FieldError{Reason::kFieldTooLong, "attributes", "has 66 entries, the limit is 64"}));
}

TEST(JsonDecode, SyntaxErrorsWinOverFieldErrors) {
  EXPECT_EQ(DecodeError(R"({"user_id": true, "product": "p", "rating": 1, "x": [1,]})").reason,
            Reason::kBadJson);
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1} extra)"),
            (FieldError{Reason::kBadJson, "", "unexpected content after the object"}));
  EXPECT_EQ(DecodeError(R"({"user_id": "u", "product": "p", "rating": 1, "x": tru})").reason,
            Reason::kBadJson);
  EXPECT_EQ(DecodeError(R"({"user_id": "\ud800", "product": "p", "rating": 1})").reason,
            Reason::kBadJson);
  std::string deep = R"({"user_id": "u", "product": "p", "rating": 1, "x": )";
  deep += std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(DecodeError(deep).reason, Reason::kBadJson);
}

TEST(JsonDecode, InvalidUtf8) {
  EXPECT_EQ(DecodeError("{\"user_id\": \"a\xC3\x28\", \"product\": \"p\", \"rating\": 1}"),
            (FieldError{Reason::kInvalidUtf8, "", "not valid UTF-8 at byte 14 of the record"}));
  EXPECT_EQ(DecodeError("{\"user_id\": \"\\u0001\", \"product\": \"p\", \"rating\": 1}").reason,
            Reason::kBadRecord);
  // Anywhere in the record: an attribute value, a field the codec ignores.
  EXPECT_EQ(DecodeError("{\"user_id\": \"a\", \"product\": \"p\", \"rating\": 1, "
                        "\"attributes\": {\"k\": \"\xFF\"}}"),
            (FieldError{Reason::kInvalidUtf8, "", "not valid UTF-8 at byte 67 of the record"}));
  EXPECT_EQ(
      DecodeError("{\"x\": \"\xE2\x82\", \"user_id\": \"a\", \"product\": \"p\", \"rating\": 1}"),
      (FieldError{Reason::kInvalidUtf8, "", "not valid UTF-8 at byte 7 of the record"}));
  // Invalid UTF-8 wins over content after the object.
  EXPECT_EQ(DecodeError("{\"user_id\": \"\xC3\", \"product\": \"p\", \"rating\": 1} x").reason,
            Reason::kInvalidUtf8);
}

TEST(JsonBatch, EachLineIsCheckedOnItsOwnInPlace) {
  // Lines are parsed inside the body: what follows a line (here a bad
  // byte, an unclosed object) must not leak into its result.
  const std::string good = R"({"user_id": "a", "product": "p", "rating": 1, "n": 12)";
  const Result r = DecodeAll(good + "}\n" + good + "\xFF}\n" + good + "}\n{\"user_id\": 7");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.event_indexes, (std::vector<std::uint64_t>{0, 2}));
  ASSERT_EQ(r.rejections.size(), 2u);
  EXPECT_EQ(r.rejections[0].error.reason, Reason::kInvalidUtf8);
  EXPECT_EQ(r.rejections[0].line, 2u);
  EXPECT_EQ(r.rejections[1].error.reason, Reason::kTruncated);
}

TEST(JsonBatch, SingleObjectArrayNdjsonAndObjects) {
  const std::string a = R"({"user_id": "a", "product": "p", "rating": 1})";
  const std::string b = R"({"user_id": "b", "product": "p", "rating": 0})";
  {
    Result r = DecodeAll(a);
    EXPECT_EQ(r.stats.layout, JsonLayout::kNdjson);
    ASSERT_EQ(r.events.size(), 1u);
  }
  {
    Result r = DecodeAll(" [ " + a + ",\n" + b + " ] \n");
    EXPECT_EQ(r.stats.layout, JsonLayout::kArray);
    ASSERT_EQ(r.events.size(), 2u);
    EXPECT_EQ(r.events[1].user_id, "b");
    EXPECT_TRUE(r.stats.complete);
  }
  {
    Result r = DecodeAll(a + "\n\n  \r\n" + b + "\r\n");
    EXPECT_EQ(r.stats.layout, JsonLayout::kNdjson);
    EXPECT_THAT(r.event_indexes, ElementsAre(0, 1));
  }
  {
    Result r = DecodeAll("{\n  \"user_id\": \"a\",\n  \"product\": \"p\",\n  \"rating\": 1\n}\n" +
                         b + "\n{\"user_id\": \"c\",\n \"product\": \"p\", \"rating\": 2}");
    EXPECT_EQ(r.stats.layout, JsonLayout::kObjects);
    EXPECT_EQ(r.events.size(), 2u);
    EXPECT_THAT(r.Errors(),
                ElementsAre("t:7 (byte 100): field 'rating': must be 0 or 1, got \"2\""));
  }
  EXPECT_EQ(DecodeAll(" \n ").stats.layout, JsonLayout::kEmpty);
  EXPECT_EQ(DecodeAll("[]").stats.layout, JsonLayout::kArray);
}

TEST(JsonBatch, NdjsonBadLineDoesNotStopTheRest) {
  const std::string good = R"({"user_id": "a", "product": "p", "rating": 1})";
  Result r = DecodeAll(good + "\n{\"user_id\": \"a\", \"product\": \n" + good + "\n[1]\n" + good);
  EXPECT_EQ(r.events.size(), 3u);
  EXPECT_THAT(r.event_indexes, ElementsAre(0, 2, 4));
  EXPECT_THAT(r.reject_indexes, ElementsAre(1, 3));
  EXPECT_EQ(r.rejections[0].line, 2u);
  EXPECT_EQ(r.rejections[0].error.reason, Reason::kBadJson);
  EXPECT_EQ(r.rejections[0].raw, "{\"user_id\": \"a\", \"product\": ");
  EXPECT_EQ(r.stats.accepted, 3u);
  EXPECT_EQ(r.stats.rejected, 2u);
  EXPECT_TRUE(r.stats.complete);
}

TEST(JsonBatch, NdjsonLineTooLongAndTruncatedLastLine) {
  const std::string good = R"({"user_id": "a", "product": "p", "rating": 1})";
  std::string line = R"({"user_id": "a", "product": "p", "rating": 1, "x": ")";
  line += std::string(kMaxLineBytes, 'x') + "\"}";
  Result r = DecodeAll(good + "\n" + line + "\n" + good + "\n{\"user_id\": \"a");
  EXPECT_EQ(r.events.size(), 2u);
  ASSERT_EQ(r.rejections.size(), 2u);
  EXPECT_EQ(r.rejections[0].error.reason, Reason::kLineTooLong);
  EXPECT_EQ(r.rejections[0].raw.size(), 1024u);
  EXPECT_EQ(
      r.rejections[1].error,
      (FieldError{Reason::kTruncated, "", "input ends inside an object that starts at line 4"}));
  EXPECT_FALSE(r.stats.complete);
}

TEST(JsonBatch, ArrayElementsAreRejectedOneByOne) {
  Result r = DecodeAll(R"([{"user_id": "a", "product": "p", "rating": 1},
    {"user_id": "a", "product": "p", "rating": 7},
    {"user_id": "a", "product": "p", "rating": 1, "x": }, 5,
    {"user_id": "b", "product": "p", "rating": 1}])");
  EXPECT_EQ(r.events.size(), 2u);
  EXPECT_THAT(r.reject_indexes, ElementsAre(1, 2, 3));
  EXPECT_EQ(r.rejections[0].line, 2u);
  EXPECT_EQ(r.rejections[2].error.reason, Reason::kWrongType);
  EXPECT_TRUE(r.stats.complete);
}

TEST(JsonBatch, BrokenArrayStops) {
  const std::string good = R"({"user_id": "a", "product": "p", "rating": 1})";
  {
    Result r = DecodeAll("[" + good + ",\n" + good + ",\n{\"user_id\": \"a\"");
    EXPECT_EQ(r.events.size(), 2u);
    EXPECT_THAT(r.Errors(),
                ElementsAre("t:3 (byte 95): input ends inside an object that starts at line 3"));
    EXPECT_FALSE(r.stats.complete);
  }
  {
    Result r = DecodeAll("[" + good + "," + good);
    EXPECT_EQ(r.events.size(), 2u);
    EXPECT_THAT(r.Errors(),
                ElementsAre("t:1 (byte 92): input ends before the array that starts at line 1 "
                            "is closed"));
  }
  {
    Result r = DecodeAll("[" + good + " " + good + "]");
    EXPECT_EQ(r.events.size(), 1u);
    EXPECT_THAT(r.Errors(), ElementsAre("t:1 (byte 47): expected ',' or ']' after a record in "
                                        "the array, got \"{\""));
  }
  {
    Result r = DecodeAll("[" + good + ",]");
    EXPECT_EQ(r.rejections.at(0).error.reason, Reason::kBadJson);
  }
  {
    Result r = DecodeAll("[" + good + "] x");
    EXPECT_EQ(r.events.size(), 1u);
    EXPECT_THAT(r.Errors(), ElementsAre("t:1 (byte 48): unexpected content after the array"));
  }
}

TEST(JsonBatch, ObjectCutOffAtTheEnd) {
  Result r =
      DecodeAll("{\n \"user_id\": \"a\", \"product\": \"p\", \"rating\": 1}\n{\n \"user_id\": \"}");
  EXPECT_EQ(r.stats.layout, JsonLayout::kObjects);
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_THAT(r.Errors(),
              ElementsAre("t:3 (byte 48): input ends inside an object that starts at line 3"));
}

TEST(JsonBatch, DecoderIsReusable) {
  JsonEventDecoder decoder;
  for (int i = 0; i < 3; ++i) {
    Result r = DecodeAll(R"([{"user_id": "a", "product": "p", "rating": 1}, {"x": 1}])", &decoder);
    EXPECT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.rejections.size(), 1u);
  }
}

TEST(JsonEncode, EscapesAndOptionalFields) {
  ClickEvent e;
  e.event_id = "id";
  e.user_id = "u\"\\";
  e.product = "p/é";
  e.timestamp_us = 1518318207844800;
  e.rating = 1;
  e.type = EventType::kBuy;
  e.attributes = {{"k\n", std::string("\x01\x1f", 2)}};
  std::string out;
  AppendJsonEvent(e, &out);
  EXPECT_EQ(out,
            R"({"event_id":"id","user_id":"u\"\\","product":"p/é","timestamp":1518318207.8448,)"
            R"("rating":1,"type":"buy","attributes":{"k\n":"\u0001\u001f"}})");
  e.price = 0.1;
  e.quantity = 2;
  e.session_id = "s";
  out.clear();
  AppendJsonEvent(e, &out);
  EXPECT_THAT(out, HasSubstr(R"("price":0.1,"quantity":2,"session_id":"s")"));
}

TEST(JsonEncode, RoundTripsExtremePrices) {
  JsonEventDecoder decoder;
  for (const double price :
       {5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e21, 0.1, 123456789.125}) {
    ClickEvent e;
    e.event_id = "id";
    e.user_id = "u";
    e.product = "p";
    e.price = price;
    std::string json;
    AppendJsonEvent(e, &json);
    ClickEvent back;
    ASSERT_TRUE(decoder.DecodeOne(json, &back)) << json;
    EXPECT_EQ(back, e) << json;
  }
}

TEST(JsonEncode, RoundTripsRandomEvents) {
  RandomEventGenerator gen(20240601);
  JsonEventDecoder decoder;
  std::string ndjson;
  std::vector<ClickEvent> all;
  for (int i = 0; i < 2000; ++i) {
    const ClickEvent e = gen.Next();
    std::string json;
    AppendJsonEvent(e, &json);
    ClickEvent back;
    auto s = decoder.DecodeOne(json, &back);
    ASSERT_TRUE(s.has_value()) << json << ": " << s.error().ToString();
    ASSERT_EQ(back, e) << json;
    ndjson += json + "\n";
    all.push_back(e);
  }
  Result r = DecodeAll(ndjson, &decoder);
  EXPECT_TRUE(r.rejections.empty());
  EXPECT_EQ(r.events, all);
}

}  // namespace
}  // namespace promorec::event

namespace promorec::event {
namespace {

TEST(JsonDecode, TypeAndRating) {
  JsonEventDecoder decoder;
  ClickEvent e;
  ASSERT_TRUE(decoder.DecodeOne(
      R"({"user_id": "u", "product": "p", "type": "click", "promotion_code": "SPRING10",
          "timestamp": 1})",
      &e));
  EXPECT_EQ(e.type, EventType::kClick);
  EXPECT_EQ(e.rating, 1);
  EXPECT_EQ(e.promotion_code, "SPRING10");
  ASSERT_TRUE(decoder.DecodeOne(R"({"user_id": "u", "product": "p", "type": "view",
                                    "timestamp": 1})",
                                &e));
  EXPECT_EQ(e.rating, 0);
  // A rating alone means what the classic click line means by it.
  ASSERT_TRUE(
      decoder.DecodeOne(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": 1})", &e));
  EXPECT_EQ(e.type, EventType::kBuy);
  ASSERT_TRUE(
      decoder.DecodeOne(R"({"user_id": "u", "product": "p", "rating": 0, "timestamp": 1})", &e));
  EXPECT_EQ(e.type, EventType::kView);
  ASSERT_TRUE(decoder.DecodeOne(
      R"({"user_id": "u", "product": "p", "rating": 1, "type": "buy", "timestamp": 1})", &e));
  auto bad = decoder.DecodeOne(
      R"({"user_id": "u", "product": "p", "rating": 0, "type": "buy", "timestamp": 1})", &e);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().reason, Reason::kBadRating);
  bad =
      decoder.DecodeOne(R"({"user_id": "u", "product": "p", "type": "VIEW", "timestamp": 1})", &e);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), (FieldError{Reason::kBadType, "type",
                                     "must be \"view\", \"click\" or \"buy\", got \"VIEW\""}));
}

// Types the rating implies add nothing to the content id, so an event sent
// before types were explicit keeps its id; a click differs from a buy.
TEST(JsonDecode, ContentIdOfTypedEvents) {
  JsonEventDecoder decoder;
  ClickEvent rating_only;
  ClickEvent typed;
  ASSERT_TRUE(decoder.DecodeOne(R"({"user_id": "u", "product": "p", "rating": 1, "timestamp": 1})",
                                &rating_only));
  ASSERT_TRUE(decoder.DecodeOne(
      R"({"user_id": "u", "product": "p", "type": "buy", "timestamp": 1})", &typed));
  EXPECT_EQ(rating_only.event_id, typed.event_id);
  ClickEvent click;
  ASSERT_TRUE(decoder.DecodeOne(
      R"({"user_id": "u", "product": "p", "type": "click", "timestamp": 1})", &click));
  EXPECT_NE(click.event_id, typed.event_id);
  ClickEvent with_code;
  ASSERT_TRUE(decoder.DecodeOne(
      R"({"user_id": "u", "product": "p", "type": "buy", "promotion_code": "C", "timestamp": 1})",
      &with_code));
  EXPECT_NE(with_code.event_id, typed.event_id);
}

}  // namespace
}  // namespace promorec::event
