#include "promorec/trainer/recordio_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>

#include "promorec/base/mem_env.h"

namespace promorec::trainer {
namespace {

using model::Feature;

// Protobuf wire encoding written out from the encoding spec, independent of
// the library and of the writer under test, so that the tests pin the bytes
// SageMaker's tools produce and read.
std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Field(int number, std::string_view body) {  // wire type 2
  return Varint(static_cast<std::uint64_t>(number) << 3 | 2) + Varint(body.size()) +
         std::string(body);
}
std::string Le32(std::uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i, v >>= 8) out.push_back(static_cast<char>(v & 0xff));
  return out;
}
std::string Floats(std::initializer_list<float> values) {
  std::string out;
  for (const float f : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out += Le32(bits);
  }
  return out;
}
std::string Varints(std::initializer_list<std::uint64_t> values) {
  std::string out;
  for (const std::uint64_t v : values) out += Varint(v);
  return out;
}
// A Float32Tensor with packed fields; empty ones are left out, as encoders do.
std::string Tensor(std::initializer_list<float> values, std::initializer_list<std::uint64_t> keys,
                   std::initializer_list<std::uint64_t> shape) {
  std::string out;
  if (values.size() > 0) out += Field(1, Floats(values));
  if (keys.size() > 0) out += Field(2, Varints(keys));
  if (shape.size() > 0) out += Field(3, Varints(shape));
  return out;
}
// A Value holding a Float32Tensor (oneof number 2).
std::string F32(const std::string& tensor) { return Field(2, tensor); }
// A Record with features["values"] and label["values"] (either left out
// when empty).
std::string Record(const std::string& feature_value, const std::string& label_value) {
  std::string out;
  if (!feature_value.empty()) out += Field(1, Field(1, "values") + Field(2, feature_value));
  if (!label_value.empty()) out += Field(2, Field(1, "values") + Field(2, label_value));
  return out;
}
std::string Label(float label) { return F32(Tensor({label}, {}, {})); }
std::string Frame(std::uint32_t flag, std::string_view part) {
  std::string out = Le32(0xced7230a) + Le32(flag << 29 | static_cast<std::uint32_t>(part.size()));
  out += part;
  out.append((4 - part.size() % 4) % 4, '\0');
  return out;
}

// One whole record, byte by byte: features["values"] = sparse Float32Tensor
// {values [1, 0.5], keys [3, 7], shape [10]}, label["values"] = [1].
const std::string kHandBuiltRecord = std::string(
    "\x0a\x23\xd7\xce"                          // magic 0xced7230a, little-endian
    "\x33\x00\x00\x00"                          // flag 0, payload length 51
    "\x0a\x1d"                                  // Record.features (1), 29-byte map entry
    "\x0a\x06values"                            //   key
    "\x12\x13"                                  //   value: a Value of 19 bytes
    "\x12\x11"                                  //     float32_tensor (2), 17 bytes
    "\x0a\x08\x00\x00\x80\x3f\x00\x00\x00\x3f"  // values [1.0, 0.5], packed
    "\x12\x02\x03\x07"                          // keys [3, 7], packed
    "\x1a\x01\x0a"                              // shape [10], packed
    "\x12\x12"                                  // Record.label (2), 18-byte map entry
    "\x0a\x06values"
    "\x12\x08\x12\x06\x0a\x04\x00\x00\x80\x3f"  // Value{float32_tensor{values [1.0]}}
    "\x00",                                     // padding to 52 payload bytes
    60);

base::Result<RecordIoReport> ReadBytes(const std::string& bytes, Dataset* data, bool stop = false,
                                       const std::vector<std::uint32_t>* fields = nullptr) {
  auto env = base::NewMemEnv();
  EXPECT_TRUE(base::WriteFileAtomically(*env, "/t.rec", bytes));
  return ReadRecordIoFile(*env, "/t.rec", fields, data, stop);
}

TEST(RecordIoReaderTest, ReadsHandBuiltRecord) {
  Dataset data;
  const std::vector<std::uint32_t> fields = {0, 0, 0, 2};
  auto report = ReadBytes(kHandBuiltRecord, &data, false, &fields);
  ASSERT_TRUE(report) << report.error().message();
  ASSERT_EQ(report->accepted, 1u) << (report->errors.empty() ? "" : report->errors[0]);
  std::vector<Feature> row;
  data.Row(0, &row);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(data.label(0), 1.0f);
  EXPECT_EQ(row[0].index, 3u);
  EXPECT_EQ(row[0].field, 2u) << "field_of_index[3]";
  EXPECT_EQ(row[0].value, 1.0f);
  EXPECT_EQ(row[1].index, 7u);
  EXPECT_EQ(row[1].field, 0u) << "index 7 is past field_of_index";
  EXPECT_EQ(row[1].value, 0.5f);
}

TEST(RecordIoReaderTest, WriterProducesTheSameBytes) {
  const Feature row[] = {{0, 3, 1.0f}, {4, 7, 0.5f}};
  EXPECT_EQ(EncodeRecordIoRecord(row, 1.0f, 10), kHandBuiltRecord);
}

TEST(RecordIoReaderTest, RoundTripThroughAFile) {
  Dataset original;
  const std::vector<std::uint32_t> fields = {0, 0, 1, 1, 2, 2, 2};
  const std::vector<std::vector<Feature>> rows = {
      {{0, 1, 1.0f}, {1, 3, 1.0f}, {2, 6, 1.0f}}, {{0, 0, 0.25f}, {2, 5, -3.5f}}, {}};
  for (std::size_t i = 0; i < rows.size(); ++i) original.AddRow(i % 2 == 0 ? 1.0f : 0.0f, rows[i]);
  auto env = base::NewMemEnv();
  ASSERT_TRUE(WriteRecordIoFile(*env, "/d.rec", original, 7));
  Dataset read;
  auto report = ReadRecordIoFile(*env, "/d.rec", &fields, &read, true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->records_read, 3u);
  EXPECT_EQ(report->accepted, 3u);
  ASSERT_EQ(read.rows(), 3u);
  std::vector<Feature> got;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(read.label(i), original.label(i));
    read.Row(i, &got);
    ASSERT_EQ(got.size(), rows[i].size()) << "row " << i;
    for (std::size_t j = 0; j < got.size(); ++j) {
      EXPECT_EQ(got[j].field, rows[i][j].field);
      EXPECT_EQ(got[j].index, rows[i][j].index);
      EXPECT_EQ(got[j].value, rows[i][j].value);
    }
  }
  auto refused = WriteRecordIoFile(*env, "/small.rec", original, 6);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(),
            "/small.rec: row 0 has feature index 6, not below num_features 6");
}

TEST(RecordIoReaderTest, DenseFeaturesSkipZeros) {
  std::vector<Feature> out;
  auto label =
      ParseRecordIoPayload(Record(F32(Tensor({0, 2.5f, 0, 1}, {}, {4})), Label(0)), nullptr, &out);
  ASSERT_TRUE(label) << label.error();
  EXPECT_EQ(*label, 0.0f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index, 1u);
  EXPECT_EQ(out[0].value, 2.5f);
  EXPECT_EQ(out[1].index, 3u);
  // Unpacked repeated floats (tag 0x0d, one per value) are the same field.
  const std::string unpacked = Field(2, std::string("\x0d") + Floats({0}) + "\x0d" + Floats({4}));
  out.clear();
  ASSERT_TRUE(ParseRecordIoPayload(Record(unpacked, Label(1)), nullptr, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index, 1u);
  EXPECT_EQ(out[0].value, 4.0f);
  out.clear();
  EXPECT_TRUE(ParseRecordIoPayload(Record(F32(Tensor({}, {}, {9})), Label(1)), nullptr, &out));
  EXPECT_TRUE(out.empty()) << "no values is an empty row, whatever the shape";
}

// A payload holding the magic at offsets 4 and 12 (inside `uid`): the
// writer splits it there into three parts and the reader puts it back.
TEST(RecordIoReaderTest, MultiPartRecord) {
  const std::string magic = Le32(0xced7230a);
  const std::string body = Record(F32(Tensor({1}, {2}, {5})), Label(1));
  const std::string payload =
      "\x1a\x0e"
      "ab" +
      magic + "cdef" + magic + body;
  const std::string framed = Frame(1,
                                   "\x1a\x0e"
                                   "ab") +
                             Frame(2, "cdef") + Frame(3, body);
  EXPECT_EQ(FrameRecordIoPayload(payload), framed);
  Dataset data;
  auto report = ReadBytes(framed + kHandBuiltRecord, &data, true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->records_read, 2u);
  ASSERT_EQ(data.rows(), 2u);
  std::vector<Feature> row;
  data.Row(0, &row);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0].index, 2u);
  // A magic at the very start gives an empty first part.
  EXPECT_EQ(FrameRecordIoPayload(magic + "wxyz"), Frame(1, "") + Frame(3, "wxyz"));
  EXPECT_EQ(FrameRecordIoPayload("abcde"), Frame(0, "abcde"));
}

TEST(RecordIoReaderTest, PayloadErrorsSayWhy) {
  const std::string label = Label(1);
  const std::string ok = F32(Tensor({1}, {0}, {3}));
  const std::vector<std::uint32_t> fields = {5000};
  const float kNaN = std::numeric_limits<float>::quiet_NaN();
  const std::pair<std::string, std::string> cases[] = {
      {"\xff\xff\xff", "protobuf payload does not parse"},
      {Record(ok, ""), "label 'values' missing"},
      {Record("", label), "feature 'values' missing"},
      {Record(Field(3, Tensor({}, {}, {1})), label),
       "feature 'values' is a float64_tensor, not a float32_tensor"},
      {Record(ok, Field(9, "")), "label 'values' is bytes, not a float32_tensor"},
      {Record(ok, Field(7, "")), "label 'values' is an int32_tensor, not a float32_tensor"},
      {Record(ok, F32(Tensor({1, 0}, {}, {}))), "label 'values' has 2 values, expected 1"},
      {Record(ok, Label(0.5f)), "label 0.5 must be 0 or 1"},
      {Record(F32(Tensor({1}, {0, 1}, {3})), label),
       "keys and values differ in length (2 keys, 1 values)"},
      {Record(F32(Tensor({1, 1}, {1, 5}, {3})), label), "feature key 5 is >= shape 3"},
      {Record(F32(Tensor({1}, {1}, {})), label), "sparse features have no shape"},
      {Record(F32(Tensor({1}, {1}, {2, 2})), label), "shape has 2 dimensions, expected 1"},
      {Record(F32(Tensor({1, 2, 3}, {}, {4})), label), "dense features: 3 values but shape 4"},
      {Record(F32(Tensor({0, kNaN}, {}, {})), label), "feature 1: value nan is not finite"},
      {Record(F32(Tensor({1}, {1ull << 32}, {1ull << 33})), label),
       "feature 4294967296: index does not fit in 32 bits"},
      {Record(ok, label), "feature 0: its field 5000 is above 1023"},
  };
  for (const auto& [payload, error] : cases) {
    std::vector<Feature> out = {{1, 1, 1.0f}};
    auto result = ParseRecordIoPayload(payload, &fields, &out);
    ASSERT_FALSE(result) << error;
    EXPECT_EQ(result.error(), error);
    EXPECT_EQ(out.size(), 1u) << "a bad record adds nothing: " << error;
  }
  std::vector<Feature> out;
  EXPECT_EQ(ParseRecordIoPayload(std::string(kMaxRecordIoPayload + 1, '\0'), nullptr, &out).error(),
            "payload of 67108865 bytes is above the limit of 67108864");
}

TEST(RecordIoReaderTest, FramingErrorsAndRecovery) {
  const std::string good = kHandBuiltRecord;  // 60 bytes
  const std::string torn = good.substr(0, 40);
  const std::pair<std::string, std::string> cases[] = {
      {good + "garbage!1234" + good, "record 2 (byte 60): bad magic 0x62726167; skipped 12 bytes"},
      {good + "garbage!x", "record 2 (byte 60): bad magic 0x62726167; skipped 9 bytes"},
      {good + torn,
       "record 2 (byte 60): length 51 runs past the end of the file (32 bytes left); skipped 40 "
       "bytes"},
      {good + good.substr(0, 5), "record 2 (byte 60): torn header: 5 bytes at the end"},
      {good + Le32(0xced7230a) + Le32(0x1fffffff) + good,
       "record 2 (byte 60): length 536870911 is above the limit of 67108864 bytes; skipped 8 "
       "bytes"},
      {good + Le32(0xced7230a) + Le32(5u << 29) + good,
       "record 2 (byte 60): continuation flag 5 is not 0-3; skipped 8 bytes"},
      {good + Frame(3, "abcd") + good,
       "record 2 (byte 60): last part of a multi-part record without its first part"},
      {good + Frame(1, "abcd") + good,
       "record 2 (byte 60): multi-part record has no last part: a new record starts at byte 72"},
      {good + Frame(1, "abcd") + Frame(2, "efgh"),
       "record 2 (byte 60): multi-part record has no last part: the file ends"},
      {good + Frame(0, "\x0a\x05"), "record 2 (byte 60): protobuf payload does not parse"},
  };
  for (const auto& [bytes, error] : cases) {
    Dataset data;
    auto report = ReadBytes(bytes, &data);
    ASSERT_TRUE(report);
    ASSERT_EQ(report->errors.size(), 1u) << error;
    EXPECT_EQ(report->errors[0], "/t.rec: " + error);
    EXPECT_EQ(report->rejected, 1u);
    EXPECT_EQ(report->accepted, report->records_read - 1);
    EXPECT_EQ(data.rows(), report->accepted);
    EXPECT_GE(data.rows(), 1u) << "the good records around a bad one still load";
  }
}

TEST(RecordIoReaderTest, EdgesOfTheFile) {
  Dataset data;
  auto empty = ReadBytes("", &data);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->records_read, 0u);
  // The last frame's padding may be missing.
  auto unpadded = ReadBytes(kHandBuiltRecord.substr(0, 59), &data);
  ASSERT_TRUE(unpadded);
  EXPECT_EQ(unpadded->accepted, 1u);
  // Only the first 20 messages are kept; the counts are complete.
  std::string bytes;
  for (int i = 0; i < 25; ++i) bytes += Frame(0, "\xff") + kHandBuiltRecord;
  auto many = ReadBytes(bytes, &data);
  ASSERT_TRUE(many);
  EXPECT_EQ(many->rejected, 25u);
  EXPECT_EQ(many->accepted, 25u);
  EXPECT_EQ(many->errors.size(), 20u);
  auto env = base::NewMemEnv();
  EXPECT_FALSE(ReadRecordIoFile(*env, "/missing.rec", nullptr, &data, false));
}

TEST(RecordIoReaderTest, StopOnErrorStops) {
  Dataset data;
  auto stopped = ReadBytes(kHandBuiltRecord + "xxxx" + kHandBuiltRecord, &data, true);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(stopped.error().message(),
            "/t.rec: record 2 (byte 60): bad magic 0x78787878; skipped 4 bytes");
  EXPECT_EQ(data.rows(), 1u) << "rows before the bad record stay";
}

// Every input under tests/corpus/recordio/ gives exactly the report in the
// .expected file beside it. PROMOREC_UPDATE_GOLDEN=1 rewrites them.
TEST(RecordIoReaderTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/recordio";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".rec") continue;
    Dataset data;
    auto report =
        ReadRecordIoFile(base::DefaultEnv(), entry.path().string(), nullptr, &data, false);
    ASSERT_TRUE(report);
    std::string actual;
    for (const std::string& e : report->errors) {
      actual += e.substr(e.find(entry.path().filename().string())) + "\n";
    }
    actual += "accepted " + std::to_string(report->accepted) + " of " +
              std::to_string(report->records_read) + "\n";
    fs::path expected_path = entry.path();
    expected_path.replace_extension(".expected");
    if (std::getenv("PROMOREC_UPDATE_GOLDEN") != nullptr) {
      std::ofstream(expected_path) << actual;
    } else {
      std::ifstream file(expected_path);
      ASSERT_TRUE(file) << "missing " << expected_path;
      std::stringstream expected;
      expected << file.rdbuf();
      EXPECT_EQ(actual, expected.str()) << entry.path();
    }
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace promorec::trainer
