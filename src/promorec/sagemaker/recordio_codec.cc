#include "promorec/sagemaker/recordio_codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "promorec/sagemaker/recordio.pb.h"

namespace promorec::sagemaker {
namespace {

using aialgs::data::Float32Tensor;
using aialgs::data::Value;
using ValueMap = google::protobuf::Map<std::string, Value>;

// The continuation flag in the top 3 bits of the length word.
constexpr std::uint32_t kFlagWhole = 0;
constexpr std::uint32_t kFlagFirst = 1;
constexpr std::uint32_t kFlagMiddle = 2;
constexpr std::uint32_t kFlagLast = 3;
constexpr std::uint32_t kLengthMask = (1u << 29) - 1;
constexpr std::size_t kHeaderBytes = 8;
// How much of the file one read brings in; records are read out of it.
constexpr std::size_t kWindowBytes = 1 << 20;

std::uint32_t LoadLe32(const char* p) {
  unsigned char b[4];
  std::memcpy(b, p, 4);
  return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
         std::uint32_t{b[3]} << 24;
}

void AppendLe32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out->push_back(static_cast<char>(v & 0xff));
    v >>= 8;
  }
}

std::uint64_t Padded(std::uint64_t n) { return (n + 3) & ~std::uint64_t{3}; }

std::string Hex32(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x00000000";
  for (std::size_t i = 0; i < 8; ++i) {
    s[9 - i] = kDigits[v & 15];
    v >>= 4;
  }
  return s;
}

std::string FormatFloat(float v) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

std::string_view KindName(const Value& value) {
  switch (value.value_case()) {
    case Value::kFloat32Tensor:
      return "a float32_tensor";
    case Value::kFloat64Tensor:
      return "a float64_tensor";
    case Value::kInt32Tensor:
      return "an int32_tensor";
    case Value::kBytes:
      return "bytes";
    case Value::VALUE_NOT_SET:
      break;
  }
  return "empty";
}

// The Float32Tensor stored under "values" in `map` ("feature" or "label"
// says which map, for the message).
base::Result<const Float32Tensor*> FindValues(const ValueMap& map, std::string_view what) {
  const auto it = map.find("values");
  if (it == map.end()) return base::InvalidArgument(std::string(what) + " 'values' missing");
  if (!it->second.has_float32_tensor()) {
    return base::InvalidArgument(std::string(what) + " 'values' is " +
                                 std::string(KindName(it->second)) + ", not a float32_tensor");
  }
  return &it->second.float32_tensor();
}

base::Result<float> ParseLabel(const aialgs::data::Record& record, bool real) {
  auto tensor = FindValues(record.label(), "label");
  if (!tensor) return std::unexpected(std::move(tensor.error()));
  const Float32Tensor& t = **tensor;
  if (t.values_size() != 1) {
    return base::InvalidArgument("label 'values' has " + std::to_string(t.values_size()) +
                                 " values, expected 1");
  }
  const float label = t.values(0);
  if (real && !std::isfinite(label)) {
    return base::InvalidArgument("label " + FormatFloat(label) + " is not a finite number");
  }
  if (!real && label != 0.0f && label != 1.0f) {
    return base::InvalidArgument("label " + FormatFloat(label) + " must be 0 or 1");
  }
  return label;
}

// Checks one feature and appends it.
base::Status AddFeature(std::uint64_t index, float value, const RecordIoFields& fields,
                        std::vector<model::Feature>* out) {
  const std::string name = "feature " + std::to_string(index);
  if (!std::isfinite(value)) {
    return base::InvalidArgument(name + ": value " + FormatFloat(value) + " is not finite");
  }
  if (index > std::numeric_limits<std::uint32_t>::max()) {
    return base::InvalidArgument(name + ": index does not fit in 32 bits");
  }
  std::uint32_t field = 0;
  if (fields.field_of_index != nullptr && index < fields.field_of_index->size()) {
    field = (*fields.field_of_index)[static_cast<std::size_t>(index)];
  }
  if (field > fields.max_field) {
    return base::InvalidArgument(name + ": its field " + std::to_string(field) + " is above " +
                                 std::to_string(fields.max_field));
  }
  out->push_back({field, static_cast<std::uint32_t>(index), value});
  return {};
}

base::Status AppendSparse(const Float32Tensor& t, const RecordIoFields& fields,
                          std::vector<model::Feature>* out) {
  if (t.keys_size() != t.values_size()) {
    return base::InvalidArgument("keys and values differ in length (" +
                                 std::to_string(t.keys_size()) + " keys, " +
                                 std::to_string(t.values_size()) + " values)");
  }
  if (t.shape_size() == 0) return base::InvalidArgument("sparse features have no shape");
  if (t.shape_size() != 1) {
    return base::InvalidArgument("shape has " + std::to_string(t.shape_size()) +
                                 " dimensions, expected 1");
  }
  const std::uint64_t shape = t.shape(0);
  for (int i = 0; i < t.keys_size(); ++i) {
    const std::uint64_t key = t.keys(i);
    if (key >= shape) {
      return base::InvalidArgument("feature key " + std::to_string(key) + " is >= shape " +
                                   std::to_string(shape));
    }
    auto added = AddFeature(key, t.values(i), fields, out);
    if (!added) return added;
  }
  return {};
}

// Dense: element i is feature i; zeros are absent features. No values at
// all is an empty row whatever the shape (a sparse writer's empty row looks
// exactly like that).
base::Status AppendDense(const Float32Tensor& t, const RecordIoFields& fields,
                         std::vector<model::Feature>* out) {
  if (t.shape_size() > 1) {
    return base::InvalidArgument("shape has " + std::to_string(t.shape_size()) +
                                 " dimensions, expected 1");
  }
  const auto count = static_cast<std::uint64_t>(t.values_size());
  if (count != 0 && t.shape_size() == 1 && t.shape(0) != count) {
    return base::InvalidArgument("dense features: " + std::to_string(count) + " values but shape " +
                                 std::to_string(t.shape(0)));
  }
  for (int i = 0; i < t.values_size(); ++i) {
    const float value = t.values(i);
    if (value == 0.0f) continue;
    auto added = AddFeature(static_cast<std::uint64_t>(i), value, fields, out);
    if (!added) return added;
  }
  return {};
}

// Reads the features of a parsed record into `*out`, all or nothing.
base::Status AppendFeatures(const aialgs::data::Record& record, const RecordIoFields& fields,
                            std::vector<model::Feature>* out) {
  const auto tensor = FindValues(record.features(), "feature");
  if (!tensor) return std::unexpected(tensor.error());
  const std::size_t before = out->size();
  const Float32Tensor& t = **tensor;
  auto added = t.keys_size() > 0 ? AppendSparse(t, fields, out) : AppendDense(t, fields, out);
  if (!added) {
    out->resize(before);
    return std::unexpected(std::move(added.error()));
  }
  return {};
}

base::Status ParseRecord(std::string_view payload, aialgs::data::Record* record) {
  if (payload.size() > kMaxRecordIoPayload) {
    return base::InvalidArgument("payload of " + std::to_string(payload.size()) +
                                 " bytes is above the limit of " +
                                 std::to_string(kMaxRecordIoPayload));
  }
  if (!record->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return base::InvalidArgument("protobuf payload does not parse");
  }
  return {};
}

// Protobuf wire encoding of the few shapes the label writer needs, written
// out directly so that the bytes (and the order of map entries) are fixed.
void AppendVarint(std::uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A length-delimited field (wire type 2).
void AppendBytesField(std::uint32_t number, std::string_view body, std::string* out) {
  AppendVarint(std::uint64_t{number} << 3 | 2, out);
  AppendVarint(body.size(), out);
  out->append(body);
}

}  // namespace

RecordIoFramer::RecordIoFramer(const base::RandomAccessFile& file, std::uint64_t size,
                               std::string name)
    : file_(&file), size_(size), name_(std::move(name)) {}

RecordIoFramer::RecordIoFramer(std::string_view bytes) : bytes_(bytes), size_(bytes.size()) {}

base::Result<std::string_view> RecordIoFramer::View(std::uint64_t offset, std::size_t n) {
  if (file_ == nullptr) return bytes_.substr(static_cast<std::size_t>(offset), n);
  if (offset >= window_start_ && offset + n <= window_start_ + window_.size()) {
    return std::string_view(window_.data() + (offset - window_start_), n);
  }
  const auto want = static_cast<std::size_t>(
      std::max<std::uint64_t>(n, std::min<std::uint64_t>(kWindowBytes, size_ - offset)));
  window_.resize(want);
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file_->ReadAt(offset, window_));
  window_start_ = offset;
  window_.resize(got);
  if (got < n) {
    return base::IoError(name_ + ": file ended at byte " + std::to_string(offset + got) +
                         " while reading; it shrank during the read");
  }
  return std::string_view(window_.data(), n);
}

base::Result<RecordIoFrame> RecordIoFramer::Skip(std::uint64_t start, std::uint64_t from,
                                                 const std::string& reason) {
  // A frame starts on a 4-byte boundary with the magic and the flag of a
  // whole record or a first part (later parts cannot be read on their
  // own). Writers escape the magic inside payloads, so a match is a frame.
  // With no frame left, the rest of the input (a tail shorter than a word
  // included) is the one bad record.
  std::uint64_t resume = size_;
  for (std::uint64_t at = from; at + 4 <= size_; at += 4) {
    PROMOREC_ASSIGN_OR_RETURN(
        const std::string_view head,
        View(at, static_cast<std::size_t>(std::min<std::uint64_t>(8, size_ - at))));
    if (LoadLe32(head.data()) != kRecordIoMagic) continue;
    const bool torn = head.size() < kHeaderBytes;
    const std::uint32_t flag = torn ? kFlagWhole : LoadLe32(head.data() + 4) >> 29;
    if (flag == kFlagWhole || flag == kFlagFirst) {
      resume = at;
      break;
    }
  }
  return RecordIoFrame{
      resume, reason + "; skipped " + std::to_string(resume - start) + " bytes", {}};
}

base::Result<RecordIoFrame> RecordIoFramer::Next(std::uint64_t start) {
  joined_.clear();
  bool in_parts = false;
  std::uint64_t offset = start;
  while (true) {
    const std::uint64_t left = size_ - offset;
    if (left < kHeaderBytes) {
      if (in_parts) {
        return RecordIoFrame{size_, "multi-part record has no last part: the file ends", {}};
      }
      return RecordIoFrame{size_, "torn header: " + std::to_string(left) + " bytes at the end", {}};
    }
    PROMOREC_ASSIGN_OR_RETURN(const std::string_view head, View(offset, kHeaderBytes));
    const std::uint32_t magic = LoadLe32(head.data());
    const std::uint32_t word = LoadLe32(head.data() + 4);
    if (magic != kRecordIoMagic) return Skip(start, offset + 4, "bad magic " + Hex32(magic));
    const std::uint32_t flag = word >> 29;
    const std::uint32_t length = word & kLengthMask;
    if (flag > kFlagLast) {
      return Skip(start, offset + 4, "continuation flag " + std::to_string(flag) + " is not 0-3");
    }
    if (joined_.size() + (in_parts ? 4 : 0) + length > kMaxRecordIoPayload) {
      return Skip(start, offset + 4,
                  "length " + std::to_string(in_parts ? joined_.size() + 4 + length : length) +
                      " is above the limit of " + std::to_string(kMaxRecordIoPayload) + " bytes");
    }
    if (length > left - kHeaderBytes) {
      return Skip(start, offset + 4,
                  "length " + std::to_string(length) + " runs past the end of the file (" +
                      std::to_string(left - kHeaderBytes) + " bytes left)");
    }
    // The padding of the last frame may be missing; the payload is whole,
    // so that is no reason to refuse it.
    const std::uint64_t next = std::min(size_, offset + kHeaderBytes + Padded(length));
    if (!in_parts && (flag == kFlagMiddle || flag == kFlagLast)) {
      return RecordIoFrame{next,
                           std::string(flag == kFlagMiddle ? "middle" : "last") +
                               " part of a multi-part record without its first part",
                           {}};
    }
    if (in_parts && (flag == kFlagWhole || flag == kFlagFirst)) {
      return RecordIoFrame{offset,
                           "multi-part record has no last part: a new record starts at byte " +
                               std::to_string(offset),
                           {}};
    }
    PROMOREC_ASSIGN_OR_RETURN(const std::string_view data, View(offset + kHeaderBytes, length));
    if (flag == kFlagWhole) return RecordIoFrame{next, {}, data};
    // The writer cut the payload at a magic and left it out; put it back.
    if (in_parts) AppendLe32(&joined_, kRecordIoMagic);
    joined_.append(data);
    if (flag == kFlagLast) return RecordIoFrame{next, {}, joined_};
    in_parts = true;
    offset = next;
  }
}

base::Result<float> ParseRecordIoPayload(std::string_view payload, const RecordIoFields& fields,
                                         std::vector<model::Feature>* out) {
  aialgs::data::Record record;
  if (auto parsed = ParseRecord(payload, &record); !parsed) {
    return std::unexpected(std::move(parsed.error()));
  }
  const auto label = ParseLabel(record, fields.real_labels);
  if (!label) return label;
  if (auto added = AppendFeatures(record, fields, out); !added) {
    return std::unexpected(std::move(added.error()));
  }
  return label;
}

base::Status ParseRecordIoFeatures(std::string_view payload, const RecordIoFields& fields,
                                   std::vector<model::Feature>* out) {
  aialgs::data::Record record;
  if (auto parsed = ParseRecord(payload, &record); !parsed) return parsed;
  return AppendFeatures(record, fields, out);
}

base::Result<float> ParseRecordIoLabelValue(std::string_view payload, std::string_view name) {
  aialgs::data::Record record;
  if (auto parsed = ParseRecord(payload, &record); !parsed) {
    return std::unexpected(std::move(parsed.error()));
  }
  const auto it = record.label().find(std::string(name));
  if (it == record.label().end() || !it->second.has_float32_tensor()) {
    return base::InvalidArgument("label '" + std::string(name) +
                                 "' is missing or not a float32_tensor");
  }
  const Float32Tensor& t = it->second.float32_tensor();
  if (t.values_size() != 1) {
    return base::InvalidArgument("label '" + std::string(name) + "' has " +
                                 std::to_string(t.values_size()) + " values, expected 1");
  }
  return t.values(0);
}

std::string FrameRecordIoPayload(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 2 * kHeaderBytes);
  auto emit = [&out](std::uint32_t flag, std::string_view part) {
    AppendLe32(&out, kRecordIoMagic);
    AppendLe32(&out, flag << 29 | static_cast<std::uint32_t>(part.size()));
    out.append(part);
  };
  std::size_t begin = 0;
  for (std::size_t i = 0; i + 4 <= payload.size(); i += 4) {
    if (LoadLe32(payload.data() + i) != kRecordIoMagic) continue;
    // Both ends are multiples of 4, so only the last part needs padding.
    emit(out.empty() ? kFlagFirst : kFlagMiddle, payload.substr(begin, i - begin));
    begin = i + 4;
  }
  emit(out.empty() ? kFlagWhole : kFlagLast, payload.substr(begin));
  out.append(static_cast<std::size_t>(Padded(out.size()) - out.size()), '\0');
  return out;
}

std::string EncodeRecordIoRecord(std::span<const model::Feature> row, float label,
                                 std::uint64_t num_features) {
  aialgs::data::Record record;
  Float32Tensor* features = (*record.mutable_features())["values"].mutable_float32_tensor();
  features->mutable_keys()->Reserve(static_cast<int>(row.size()));
  features->mutable_values()->Reserve(static_cast<int>(row.size()));
  for (const model::Feature& f : row) {
    features->add_keys(f.index);
    features->add_values(f.value);
  }
  features->add_shape(num_features);
  (*record.mutable_label())["values"].mutable_float32_tensor()->add_values(label);
  return FrameRecordIoPayload(record.SerializeAsString());
}

void AppendRecordIoLabels(std::span<const std::pair<std::string_view, float>> labels,
                          std::string* out) {
  // Record.label (2) entries: key (1) the name, value (2) a Value whose
  // float32_tensor (2) holds values (1) packed.
  std::string payload, entry, tensor, value;
  for (const auto& [name, number] : labels) {
    std::uint32_t bits;
    std::memcpy(&bits, &number, 4);
    tensor.clear();
    std::string packed;
    AppendLe32(&packed, bits);
    AppendBytesField(1, packed, &tensor);
    value.clear();
    AppendBytesField(2, tensor, &value);
    entry.clear();
    AppendBytesField(1, name, &entry);
    AppendBytesField(2, value, &entry);
    AppendBytesField(2, entry, &payload);
  }
  out->append(FrameRecordIoPayload(payload));
}

}  // namespace promorec::sagemaker
