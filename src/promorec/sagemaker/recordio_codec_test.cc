#include "promorec/sagemaker/recordio_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <utility>

#include "promorec/sagemaker/recordio_test_util.h"

namespace promorec::sagemaker {
namespace {

using namespace testing;  // NOLINT: the byte builders

// The frames of `bytes`, in order: payload or "error: ..." each.
std::vector<std::string> FramesOf(std::string_view bytes) {
  RecordIoFramer framer(bytes);
  std::vector<std::string> out;
  std::uint64_t offset = 0;
  while (offset < framer.size()) {
    auto frame = framer.Next(offset);
    EXPECT_TRUE(frame);
    if (!frame) break;
    out.push_back(frame->error.empty() ? std::string(frame->payload) : "error: " + frame->error);
    EXPECT_GT(frame->end, offset);
    offset = frame->end;
  }
  return out;
}

TEST(RecordIoCodecTest, ParsesHandBuiltRecord) {
  const auto frames = FramesOf(kHandBuiltRecord);
  ASSERT_EQ(frames.size(), 1u);
  const std::vector<std::uint32_t> field_of = {0, 0, 0, 2};
  std::vector<model::Feature> row;
  auto label = ParseRecordIoPayload(frames[0], {&field_of}, &row);
  ASSERT_TRUE(label) << label.error().ToString();
  EXPECT_EQ(*label, 1.0f);
  ExpectHandBuiltRow(row);
}

TEST(RecordIoCodecTest, WriterProducesTheSameBytes) {
  const model::Feature row[] = {{0, 3, 1.0f}, {4, 7, 0.5f}};
  EXPECT_EQ(EncodeRecordIoRecord(row, 1.0f, 10), kHandBuiltRecord);
}

TEST(RecordIoCodecTest, DenseFeaturesSkipZeros) {
  std::vector<model::Feature> out;
  auto label =
      ParseRecordIoPayload(Record(F32(Tensor({0, 2.5f, 0, 1}, {}, {4})), Label(0)), {}, &out);
  ASSERT_TRUE(label) << label.error().ToString();
  EXPECT_EQ(*label, 0.0f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index, 1u);
  EXPECT_EQ(out[0].value, 2.5f);
  EXPECT_EQ(out[1].index, 3u);
  // Unpacked repeated floats (tag 0x0d, one per value) are the same field.
  const std::string unpacked = Field(2, std::string("\x0d") + Floats({0}) + "\x0d" + Floats({4}));
  out.clear();
  ASSERT_TRUE(ParseRecordIoPayload(Record(unpacked, Label(1)), {}, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index, 1u);
  EXPECT_EQ(out[0].value, 4.0f);
  out.clear();
  EXPECT_TRUE(ParseRecordIoPayload(Record(F32(Tensor({}, {}, {9})), Label(1)), {}, &out));
  EXPECT_TRUE(out.empty()) << "no values is an empty row, whatever the shape";
}

// A payload holding the magic at offsets 4 and 12 (inside `uid`): the
// writer splits it there into three parts and the framer puts it back.
TEST(RecordIoCodecTest, MultiPartRecord) {
  const std::string magic = Le32(kRecordIoMagic);
  const std::string body = Record(F32(Tensor({1}, {2}, {5})), Label(1));
  const std::string payload = std::string("\x1a\x0e") + "ab" + magic + "cdef" + magic + body;
  const std::string framed =
      Frame(1, std::string("\x1a\x0e") + "ab") + Frame(2, "cdef") + Frame(3, body);
  EXPECT_EQ(FrameRecordIoPayload(payload), framed);
  const auto frames = FramesOf(framed + kHandBuiltRecord);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], payload);
  // A magic at the very start gives an empty first part.
  EXPECT_EQ(FrameRecordIoPayload(magic + "wxyz"), Frame(1, "") + Frame(3, "wxyz"));
  EXPECT_EQ(FrameRecordIoPayload("abcde"), Frame(0, "abcde"));
}

TEST(RecordIoCodecTest, FramingErrorsInABuffer) {
  const std::string good = kHandBuiltRecord;
  const auto frames = FramesOf(good + "garbage!1234" + good + Frame(3, "abcd") + "xy");
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[1], "error: bad magic 0x62726167; skipped 12 bytes");
  EXPECT_EQ(frames[3], "error: last part of a multi-part record without its first part");
  EXPECT_EQ(frames[4], "error: torn header: 2 bytes at the end");
}

TEST(RecordIoCodecTest, PayloadErrorsSayWhy) {
  const std::string label = Label(1);
  const std::string ok = F32(Tensor({1}, {0}, {3}));
  const std::vector<std::uint32_t> field_of = {5000};
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
    std::vector<model::Feature> out = {{1, 1, 1.0f}};
    auto result = ParseRecordIoPayload(payload, {&field_of, 1023}, &out);
    ASSERT_FALSE(result) << error;
    EXPECT_EQ(result.error().message(), error);
    EXPECT_EQ(out.size(), 1u) << "a bad record adds nothing: " << error;
  }
  std::vector<model::Feature> out;
  EXPECT_EQ(
      ParseRecordIoPayload(std::string(kMaxRecordIoPayload + 1, '\0'), {}, &out).error().message(),
      "payload of 67108865 bytes is above the limit of 67108864");
}

TEST(RecordIoCodecTest, InferencePayloadsNeedNoLabel) {
  std::vector<model::Feature> out;
  ASSERT_TRUE(ParseRecordIoFeatures(Record(F32(Tensor({2}, {4}, {5})), ""), {}, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index, 4u);
  EXPECT_EQ(out[0].value, 2.0f);
  // A label is carried along unchecked.
  EXPECT_TRUE(ParseRecordIoFeatures(Record(F32(Tensor({2}, {4}, {5})), Label(0.5f)), {}, &out));
  EXPECT_EQ(ParseRecordIoFeatures(Record("", Label(1)), {}, &out).error().message(),
            "feature 'values' missing");
  EXPECT_EQ(out.size(), 2u);
}

TEST(RecordIoCodecTest, LabelRecordsForResponses) {
  std::string out;
  const std::pair<std::string_view, float> labels[] = {{"score", 0.25f}, {"predicted_label", 0.0f}};
  AppendRecordIoLabels(labels, &out);
  // Record{label: {"score": {float32_tensor {values [0.25]}},
  //                "predicted_label": {float32_tensor {values [0]}}}}
  const std::string payload =
      Field(2, Field(1, "score") + Field(2, F32(Tensor({0.25f}, {}, {})))) +
      Field(2, Field(1, "predicted_label") + Field(2, F32(Tensor({0.0f}, {}, {}))));
  EXPECT_EQ(out, Frame(0, payload));
  EXPECT_EQ(ParseRecordIoLabelValue(payload, "score").value(), 0.25f);
  EXPECT_EQ(ParseRecordIoLabelValue(payload, "predicted_label").value(), 0.0f);
  EXPECT_EQ(ParseRecordIoLabelValue(payload, "values").error().message(),
            "label 'values' is missing or not a float32_tensor");
}

}  // namespace
}  // namespace promorec::sagemaker
