#include "promorec/trainer/recordio_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "promorec/trainer/recordio.pb.h"

namespace promorec::trainer {
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
constexpr std::size_t kMaxErrorsKept = 20;
// How much of the file one read brings in; records are read out of it.
constexpr std::size_t kWindowBytes = 1 << 20;
constexpr std::uint32_t kMaxField = kMaxDatasetFields - 1;

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
std::expected<const Float32Tensor*, std::string> FindValues(const ValueMap& map,
                                                            std::string_view what) {
  const auto it = map.find("values");
  if (it == map.end()) return std::unexpected(std::string(what) + " 'values' missing");
  if (!it->second.has_float32_tensor()) {
    return std::unexpected(std::string(what) + " 'values' is " + std::string(KindName(it->second)) +
                           ", not a float32_tensor");
  }
  return &it->second.float32_tensor();
}

std::expected<float, std::string> ParseLabel(const aialgs::data::Record& record) {
  auto tensor = FindValues(record.label(), "label");
  if (!tensor) return std::unexpected(std::move(tensor.error()));
  const Float32Tensor& t = **tensor;
  if (t.values_size() != 1) {
    return std::unexpected("label 'values' has " + std::to_string(t.values_size()) +
                           " values, expected 1");
  }
  const float label = t.values(0);
  if (label != 0.0f && label != 1.0f) {
    return std::unexpected("label " + FormatFloat(label) + " must be 0 or 1");
  }
  return label;
}

// Checks one feature and appends it.
std::expected<void, std::string> AddFeature(std::uint64_t index, float value,
                                            const std::vector<std::uint32_t>* field_of_index,
                                            std::vector<model::Feature>* out) {
  const std::string name = "feature " + std::to_string(index);
  if (!std::isfinite(value)) {
    return std::unexpected(name + ": value " + FormatFloat(value) + " is not finite");
  }
  if (index > std::numeric_limits<std::uint32_t>::max()) {
    return std::unexpected(name + ": index does not fit in 32 bits");
  }
  std::uint32_t field = 0;
  if (field_of_index != nullptr && index < field_of_index->size()) {
    field = (*field_of_index)[static_cast<std::size_t>(index)];
  }
  if (field > kMaxField) {
    return std::unexpected(name + ": its field " + std::to_string(field) + " is above " +
                           std::to_string(kMaxField));
  }
  out->push_back({field, static_cast<std::uint32_t>(index), value});
  return {};
}

std::expected<void, std::string> AppendSparse(const Float32Tensor& t,
                                              const std::vector<std::uint32_t>* field_of_index,
                                              std::vector<model::Feature>* out) {
  if (t.keys_size() != t.values_size()) {
    return std::unexpected("keys and values differ in length (" + std::to_string(t.keys_size()) +
                           " keys, " + std::to_string(t.values_size()) + " values)");
  }
  if (t.shape_size() == 0) return std::unexpected("sparse features have no shape");
  if (t.shape_size() != 1) {
    return std::unexpected("shape has " + std::to_string(t.shape_size()) +
                           " dimensions, expected 1");
  }
  const std::uint64_t shape = t.shape(0);
  for (int i = 0; i < t.keys_size(); ++i) {
    const std::uint64_t key = t.keys(i);
    if (key >= shape) {
      return std::unexpected("feature key " + std::to_string(key) + " is >= shape " +
                             std::to_string(shape));
    }
    auto added = AddFeature(key, t.values(i), field_of_index, out);
    if (!added) return added;
  }
  return {};
}

// Dense: element i is feature i; zeros are absent features. No values at
// all is an empty row whatever the shape (a sparse writer's empty row looks
// exactly like that).
std::expected<void, std::string> AppendDense(const Float32Tensor& t,
                                             const std::vector<std::uint32_t>* field_of_index,
                                             std::vector<model::Feature>* out) {
  if (t.shape_size() > 1) {
    return std::unexpected("shape has " + std::to_string(t.shape_size()) +
                           " dimensions, expected 1");
  }
  const auto count = static_cast<std::uint64_t>(t.values_size());
  if (count != 0 && t.shape_size() == 1 && t.shape(0) != count) {
    return std::unexpected("dense features: " + std::to_string(count) + " values but shape " +
                           std::to_string(t.shape(0)));
  }
  for (int i = 0; i < t.values_size(); ++i) {
    const float value = t.values(i);
    if (value == 0.0f) continue;
    auto added = AddFeature(static_cast<std::uint64_t>(i), value, field_of_index, out);
    if (!added) return added;
  }
  return {};
}

// Where one record ends and what it holds.
struct Framed {
  // Where the next record starts.
  std::uint64_t end = 0;
  // Empty when `payload` holds a whole record.
  std::string error;
  // Valid until the next Framer::Next.
  std::string_view payload;
};

// Cuts a file into records: checks each frame, joins multi-part records,
// and after damaged framing finds where the next record starts.
class Framer {
 public:
  Framer(const base::RandomAccessFile& file, std::uint64_t size, const std::string& path)
      : file_(file), size_(size), path_(path) {}

  // The record that starts at `start` (< the file size). Its `end` is
  // always past `start`.
  base::Result<Framed> Next(std::uint64_t start);

 private:
  // Bytes [offset, offset + n) of the file, which must lie inside it.
  base::Result<std::string_view> View(std::uint64_t offset, std::size_t n);
  // The record at `start` is unusable because of its framing: everything up
  // to the next plausible frame at or after `from` is one bad record.
  base::Result<Framed> Skip(std::uint64_t start, std::uint64_t from, const std::string& reason);

  const base::RandomAccessFile& file_;
  const std::uint64_t size_;
  const std::string& path_;
  std::string window_;
  std::uint64_t window_start_ = 0;
  std::string joined_;
};

base::Result<std::string_view> Framer::View(std::uint64_t offset, std::size_t n) {
  if (offset >= window_start_ && offset + n <= window_start_ + window_.size()) {
    return std::string_view(window_.data() + (offset - window_start_), n);
  }
  const auto want = static_cast<std::size_t>(
      std::max<std::uint64_t>(n, std::min<std::uint64_t>(kWindowBytes, size_ - offset)));
  window_.resize(want);
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file_.ReadAt(offset, window_));
  window_start_ = offset;
  window_.resize(got);
  if (got < n) {
    return base::IoError(path_ + ": file ended at byte " + std::to_string(offset + got) +
                         " while reading; it shrank during the read");
  }
  return std::string_view(window_.data(), n);
}

base::Result<Framed> Framer::Skip(std::uint64_t start, std::uint64_t from,
                                  const std::string& reason) {
  // A frame starts on a 4-byte boundary with the magic and the flag of a
  // whole record or a first part (later parts cannot be read on their
  // own). Writers escape the magic inside payloads, so a match is a frame.
  // With no frame left, the rest of the file (a tail shorter than a word
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
  return Framed{resume, reason + "; skipped " + std::to_string(resume - start) + " bytes", {}};
}

base::Result<Framed> Framer::Next(std::uint64_t start) {
  joined_.clear();
  bool in_parts = false;
  std::uint64_t offset = start;
  while (true) {
    const std::uint64_t left = size_ - offset;
    if (left < kHeaderBytes) {
      if (in_parts) return Framed{size_, "multi-part record has no last part: the file ends", {}};
      return Framed{size_, "torn header: " + std::to_string(left) + " bytes at the end", {}};
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
    // The padding of the file's last frame may be missing; the payload is
    // whole, so that is no reason to refuse it.
    const std::uint64_t next = std::min(size_, offset + kHeaderBytes + Padded(length));
    if (!in_parts && (flag == kFlagMiddle || flag == kFlagLast)) {
      return Framed{next,
                    std::string(flag == kFlagMiddle ? "middle" : "last") +
                        " part of a multi-part record without its first part",
                    {}};
    }
    if (in_parts && (flag == kFlagWhole || flag == kFlagFirst)) {
      return Framed{offset,
                    "multi-part record has no last part: a new record starts at byte " +
                        std::to_string(offset),
                    {}};
    }
    PROMOREC_ASSIGN_OR_RETURN(const std::string_view data, View(offset + kHeaderBytes, length));
    if (flag == kFlagWhole) return Framed{next, {}, data};
    // The writer cut the payload at a magic and left it out; put it back.
    if (in_parts) AppendLe32(&joined_, kRecordIoMagic);
    joined_.append(data);
    if (flag == kFlagLast) return Framed{next, {}, joined_};
    in_parts = true;
    offset = next;
  }
}

}  // namespace

std::expected<float, std::string> ParseRecordIoPayload(
    std::string_view payload, const std::vector<std::uint32_t>* field_of_index,
    std::vector<model::Feature>* out) {
  if (payload.size() > kMaxRecordIoPayload) {
    return std::unexpected("payload of " + std::to_string(payload.size()) +
                           " bytes is above the limit of " + std::to_string(kMaxRecordIoPayload));
  }
  aialgs::data::Record record;
  if (!record.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return std::unexpected("protobuf payload does not parse");
  }
  const auto label = ParseLabel(record);
  if (!label) return label;
  const auto tensor = FindValues(record.features(), "feature");
  if (!tensor) return std::unexpected(tensor.error());
  const std::size_t before = out->size();
  const Float32Tensor& t = **tensor;
  auto added = t.keys_size() > 0 ? AppendSparse(t, field_of_index, out)
                                 : AppendDense(t, field_of_index, out);
  if (!added) {
    out->resize(before);
    return std::unexpected(std::move(added.error()));
  }
  return label;
}

base::Result<RecordIoReport> ReadRecordIoFile(base::Env& env, const std::string& path,
                                              const std::vector<std::uint32_t>* field_of_index,
                                              Dataset* dataset, bool stop_on_error) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  Framer framer(*file, size, path);
  RecordIoReport report;
  std::vector<model::Feature> features;
  std::uint64_t offset = 0;
  while (offset < size) {
    ++report.records_read;
    PROMOREC_ASSIGN_OR_RETURN(Framed framed, framer.Next(offset));
    features.clear();
    // A framing error stands; a whole payload gets its own verdict.
    std::expected<float, std::string> label = std::unexpected(std::move(framed.error));
    if (label.error().empty())
      label = ParseRecordIoPayload(framed.payload, field_of_index, &features);
    if (label) {
      ++report.accepted;
      dataset->AddRow(*label, features);
    } else {
      std::string message = path + ": record " + std::to_string(report.records_read) + " (byte " +
                            std::to_string(offset) + "): " + label.error();
      if (stop_on_error) return base::InvalidArgument(std::move(message));
      ++report.rejected;
      if (report.errors.size() < kMaxErrorsKept) report.errors.push_back(std::move(message));
    }
    offset = framed.end;
  }
  return report;
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

base::Status WriteRecordIoFile(base::Env& env, const std::string& path, const Dataset& dataset,
                               std::uint64_t num_features) {
  std::vector<model::Feature> scratch;
  for (std::size_t i = 0; i < dataset.rows(); ++i) {
    for (const model::Feature& f : dataset.Row(i, &scratch)) {
      if (f.index >= num_features) {
        return base::InvalidArgument(path + ": row " + std::to_string(i) + " has feature index " +
                                     std::to_string(f.index) + ", not below num_features " +
                                     std::to_string(num_features));
      }
    }
  }
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  for (std::size_t i = 0; i < dataset.rows(); ++i) {
    PROMOREC_RETURN_IF_ERROR(file->Append(
        EncodeRecordIoRecord(dataset.Row(i, &scratch), dataset.label(i), num_features)));
  }
  return file->Close();
}

}  // namespace promorec::trainer
