#include "promorec/trainer/dataset.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "promorec/base/crc32c.h"
#include "promorec/base/env.h"

namespace promorec::trainer {
namespace {

constexpr char kCacheMagic[8] = {'P', 'R', 'D', 'S', 'E', 'T', 'C', '1'};
constexpr std::uint32_t kCacheVersion = 1;
constexpr std::uint32_t kHasValues = 1;
constexpr std::size_t kHeaderBytes = 64;

struct CacheHeader {
  std::uint32_t flags = 0;
  Dataset::SourceKey key;
  std::uint32_t num_fields = 0;
  std::uint32_t num_features = 0;
  std::uint64_t rows = 0;
  std::uint64_t features = 0;
};

template <typename T>
void Put(char* at, T value) {
  std::memcpy(at, &value, sizeof value);
}
template <typename T>
T Get(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

// Header layout (little-endian): magic[8] version:u32 flags:u32
// source_size:u64 source_crc:u32 num_fields:u32 num_features:u32 reserved:u32
// rows:u64 features:u64 zero padding, and at byte 60 the masked CRC32C of
// bytes 0..60.
std::array<char, kHeaderBytes> EncodeHeader(const CacheHeader& h) {
  std::array<char, kHeaderBytes> b{};
  std::memcpy(b.data(), kCacheMagic, sizeof kCacheMagic);
  Put(b.data() + 8, kCacheVersion);
  Put(b.data() + 12, h.flags);
  Put(b.data() + 16, h.key.size);
  Put(b.data() + 24, h.key.crc);
  Put(b.data() + 28, h.num_fields);
  Put(b.data() + 32, h.num_features);
  Put(b.data() + 40, h.rows);
  Put(b.data() + 48, h.features);
  Put(b.data() + 60, base::Crc32cMask(base::Crc32cExtend(0, b.data(), 60)));
  return b;
}

template <typename T>
std::string_view Bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

template <typename T>
base::Status ReadArray(const base::RandomAccessFile& file, std::uint64_t* offset, std::size_t count,
                       std::vector<T>* out, std::uint32_t* crc, const std::string& path) {
  out->resize(count);
  const std::span<char> buf(reinterpret_cast<char*>(out->data()), count * sizeof(T));
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file.ReadAt(*offset, buf));
  if (got != buf.size()) return base::Corruption(path + ": cache is truncated");
  *crc = base::Crc32cExtend(*crc, buf.data(), buf.size());
  *offset += buf.size();
  return {};
}

}  // namespace

void Dataset::AddRow(float label, std::span<const model::Feature> features) {
  labels_.push_back(label);
  for (const model::Feature& f : features) {
    indices_.push_back(f.index);
    fields_.push_back(static_cast<std::uint16_t>(std::min(f.field, kMaxDatasetFields - 1)));
    // values_ is empty while every value so far is 1, else one per feature.
    if (f.value != 1.0f || !values_.empty()) {
      values_.resize(indices_.size() - 1, 1.0f);
      values_.push_back(f.value);
    }
    num_fields_ = std::max(num_fields_, std::min(f.field, kMaxDatasetFields - 1) + 1);
    num_features_ = std::max(num_features_, f.index + 1);
  }
  offsets_.push_back(indices_.size());
}

void Dataset::Append(Dataset&& other) {
  if (rows() == 0) {
    *this = std::move(other);
    return;
  }
  if (values_.empty() && !other.values_.empty()) values_.assign(indices_.size(), 1.0f);
  if (!values_.empty() && other.values_.empty()) {
    values_.insert(values_.end(), other.indices_.size(), 1.0f);
  } else {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
  }
  const std::uint64_t base = indices_.size();
  for (std::size_t r = 1; r < other.offsets_.size(); ++r) {
    offsets_.push_back(base + other.offsets_[r]);
  }
  labels_.insert(labels_.end(), other.labels_.begin(), other.labels_.end());
  indices_.insert(indices_.end(), other.indices_.begin(), other.indices_.end());
  fields_.insert(fields_.end(), other.fields_.begin(), other.fields_.end());
  num_fields_ = std::max(num_fields_, other.num_fields_);
  num_features_ = std::max(num_features_, other.num_features_);
  other = Dataset();
}

Dataset Dataset::SplitTail(std::size_t first) {
  Dataset tail;
  if (first >= rows()) return tail;
  const std::size_t cut = offsets_[first];
  tail.Reserve(rows() - first, indices_.size() - cut);
  std::vector<model::Feature> scratch;
  for (std::size_t r = first; r < rows(); ++r) tail.AddRow(labels_[r], Row(r, &scratch));
  labels_.resize(first);
  offsets_.resize(first + 1);
  indices_.resize(cut);
  fields_.resize(cut);
  if (!values_.empty()) values_.resize(cut);
  num_fields_ = 0;
  num_features_ = 0;
  for (std::size_t j = 0; j < cut; ++j) {
    num_fields_ = std::max<std::uint32_t>(num_fields_, fields_[j] + 1u);
    num_features_ = std::max(num_features_, indices_[j] + 1);
  }
  return tail;
}

void Dataset::Reserve(std::size_t rows, std::size_t features) {
  labels_.reserve(labels_.size() + rows);
  offsets_.reserve(offsets_.size() + rows);
  indices_.reserve(indices_.size() + features);
  fields_.reserve(fields_.size() + features);
}

std::span<const model::Feature> Dataset::Row(std::size_t i,
                                             std::vector<model::Feature>* scratch) const {
  scratch->clear();
  for (std::size_t j = offsets_[i]; j < offsets_[i + 1]; ++j) {
    scratch->push_back({fields_[j], indices_[j], value_at(j)});
  }
  return *scratch;
}

std::vector<std::uint32_t> Dataset::FeatureCounts() const {
  std::vector<std::uint32_t> counts;
  AddFeatureCounts(&counts);
  return counts;
}

void Dataset::AddFeatureCounts(std::vector<std::uint32_t>* counts) const {
  if (counts->size() < num_features_) counts->resize(num_features_, 0);
  for (const std::uint32_t index : indices_) ++(*counts)[index];
}

base::Status Dataset::WriteCache(base::Env& env, const std::string& path,
                                 const SourceKey& key) const {
  const std::string tmp = path + ".tmp";
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(tmp));
  CacheHeader h;
  h.flags = values_.empty() ? 0 : kHasValues;
  h.key = key;
  h.num_fields = num_fields_;
  h.num_features = num_features_;
  h.rows = labels_.size();
  h.features = indices_.size();
  const auto header = EncodeHeader(h);
  PROMOREC_RETURN_IF_ERROR(file->Append({header.data(), header.size()}));
  std::uint32_t crc = 0;
  for (const std::string_view part :
       {Bytes(labels_), Bytes(offsets_), Bytes(indices_), Bytes(fields_), Bytes(values_)}) {
    PROMOREC_RETURN_IF_ERROR(file->Append(part));
    crc = base::Crc32cExtend(crc, part.data(), part.size());
  }
  char trailer[4];
  Put(trailer, base::Crc32cMask(crc));
  PROMOREC_RETURN_IF_ERROR(file->Append({trailer, sizeof trailer}));
  // A cache needs no fsync: a torn one fails its checksum and is rebuilt.
  PROMOREC_RETURN_IF_ERROR(file->Close());
  return env.RenameFile(tmp, path);
}

base::Result<Dataset> Dataset::ReadCache(base::Env& env, const std::string& path,
                                         const SourceKey& key) {
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (!exists) return base::NotFound(path + ": no cache");
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  std::array<char, kHeaderBytes> b{};
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got, file->ReadAt(0, b));
  if (got != b.size() || std::memcmp(b.data(), kCacheMagic, sizeof kCacheMagic) != 0) {
    return base::Corruption(path + ": not a dataset cache");
  }
  if (Get<std::uint32_t>(b.data() + 60) != base::Crc32cMask(base::Crc32cExtend(0, b.data(), 60))) {
    return base::Corruption(path + ": cache header checksum mismatch");
  }
  if (Get<std::uint32_t>(b.data() + 8) != kCacheVersion) {
    return base::NotFound(path + ": cache of another version");
  }
  CacheHeader h;
  h.flags = Get<std::uint32_t>(b.data() + 12);
  h.key = {Get<std::uint64_t>(b.data() + 16), Get<std::uint32_t>(b.data() + 24)};
  if (!(h.key == key)) return base::NotFound(path + ": cache of another source");
  h.num_fields = Get<std::uint32_t>(b.data() + 28);
  h.num_features = Get<std::uint32_t>(b.data() + 32);
  h.rows = Get<std::uint64_t>(b.data() + 40);
  h.features = Get<std::uint64_t>(b.data() + 48);
  const bool has_values = (h.flags & kHasValues) != 0;
  // Each row takes at least 12 bytes and each feature 6, so counts beyond
  // these bounds are damage, and below them the sum cannot wrap.
  if (h.rows > size / 12 || h.features > size / 6 || h.num_fields > kMaxDatasetFields ||
      kHeaderBytes + h.rows * 4 + (h.rows + 1) * 8 + h.features * (has_values ? 10 : 6) + 4 !=
          size) {
    return base::Corruption(path + ": cache size does not match its header");
  }
  Dataset d;
  std::uint64_t offset = kHeaderBytes;
  std::uint32_t crc = 0;
  PROMOREC_RETURN_IF_ERROR(ReadArray(*file, &offset, h.rows, &d.labels_, &crc, path));
  PROMOREC_RETURN_IF_ERROR(ReadArray(*file, &offset, h.rows + 1, &d.offsets_, &crc, path));
  PROMOREC_RETURN_IF_ERROR(ReadArray(*file, &offset, h.features, &d.indices_, &crc, path));
  PROMOREC_RETURN_IF_ERROR(ReadArray(*file, &offset, h.features, &d.fields_, &crc, path));
  PROMOREC_RETURN_IF_ERROR(
      ReadArray(*file, &offset, has_values ? h.features : 0, &d.values_, &crc, path));
  char trailer[4];
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t tail, file->ReadAt(offset, trailer));
  if (tail != sizeof trailer || Get<std::uint32_t>(trailer) != base::Crc32cMask(crc)) {
    return base::Corruption(path + ": cache checksum mismatch");
  }
  // The arrays passed the checksum; their shape must still make sense
  // before any loop trusts it.
  if (d.offsets_.front() != 0 || d.offsets_.back() != h.features ||
      !std::is_sorted(d.offsets_.begin(), d.offsets_.end())) {
    return base::Corruption(path + ": cache row offsets are inconsistent");
  }
  for (std::size_t j = 0; j < d.indices_.size(); ++j) {
    if (d.indices_[j] >= h.num_features || d.fields_[j] >= h.num_fields) {
      return base::Corruption(path + ": cache feature out of range");
    }
  }
  d.num_fields_ = h.num_fields;
  d.num_features_ = h.num_features;
  return d;
}

base::Result<Dataset::SourceKey> KeyOfFile(base::Env& env, const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewSequentialFile(path));
  Dataset::SourceKey key;
  std::vector<char> buf(1 << 20);
  while (true) {
    PROMOREC_ASSIGN_OR_RETURN(const std::size_t n, file->Read(buf));
    if (n == 0) break;
    key.size += n;
    key.crc = base::Crc32cExtend(key.crc, buf.data(), n);
  }
  return key;
}

}  // namespace promorec::trainer
