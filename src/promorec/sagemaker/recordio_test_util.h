// Test helpers for RecordIO-protobuf: protobuf wire encoding and framing
// written out from the encoding spec, independent of the protobuf library
// and of the codec under test, so that tests pin the bytes SageMaker's
// tools produce and read. Header-only; for tests of any module allowed to
// use model/.
// Thread-safety: pure functions.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/model/ffm_kernel.h"

namespace promorec::sagemaker::testing {

inline std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// A length-delimited field (wire type 2).
inline std::string Field(int number, std::string_view body) {
  return Varint(static_cast<std::uint64_t>(number) << 3 | 2) + Varint(body.size()) +
         std::string(body);
}

inline std::string Le32(std::uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i, v >>= 8) out.push_back(static_cast<char>(v & 0xff));
  return out;
}

inline std::string Floats(std::initializer_list<float> values) {
  std::string out;
  for (const float f : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out += Le32(bits);
  }
  return out;
}

inline std::string Varints(std::initializer_list<std::uint64_t> values) {
  std::string out;
  for (const std::uint64_t v : values) out += Varint(v);
  return out;
}

// A Float32Tensor with packed fields; empty ones are left out, as encoders do.
inline std::string Tensor(std::initializer_list<float> values,
                          std::initializer_list<std::uint64_t> keys,
                          std::initializer_list<std::uint64_t> shape) {
  std::string out;
  if (values.size() > 0) out += Field(1, Floats(values));
  if (keys.size() > 0) out += Field(2, Varints(keys));
  if (shape.size() > 0) out += Field(3, Varints(shape));
  return out;
}

// A Value holding a Float32Tensor (oneof number 2).
inline std::string F32(const std::string& tensor) { return Field(2, tensor); }

// A Record with features["values"] and label["values"] (either left out
// when empty).
inline std::string Record(const std::string& feature_value, const std::string& label_value) {
  std::string out;
  if (!feature_value.empty()) out += Field(1, Field(1, "values") + Field(2, feature_value));
  if (!label_value.empty()) out += Field(2, Field(1, "values") + Field(2, label_value));
  return out;
}

inline std::string Label(float label) { return F32(Tensor({label}, {}, {})); }

// One frame: magic, length word with `flag` in the top 3 bits, the part,
// zero padding to a multiple of 4.
inline std::string Frame(std::uint32_t flag, std::string_view part) {
  std::string out = Le32(0xced7230a) + Le32(flag << 29 | static_cast<std::uint32_t>(part.size()));
  out += part;
  out.append((4 - part.size() % 4) % 4, '\0');
  return out;
}

// One whole record, byte by byte: features["values"] = sparse Float32Tensor
// {values [1, 0.5], keys [3, 7], shape [10]}, label["values"] = [1].
inline const std::string kHandBuiltRecord = std::string(
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

// The row kHandBuiltRecord holds, read with field_of_index {0, 0, 0, 2}.
inline void ExpectHandBuiltRow(const std::vector<model::Feature>& row) {
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0].index, 3u);
  EXPECT_EQ(row[0].field, 2u) << "field_of_index[3]";
  EXPECT_EQ(row[0].value, 1.0f);
  EXPECT_EQ(row[1].index, 7u);
  EXPECT_EQ(row[1].field, 0u) << "index 7 is past field_of_index";
  EXPECT_EQ(row[1].value, 0.5f);
}

}  // namespace promorec::sagemaker::testing
