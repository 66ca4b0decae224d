// Training data in memory: rows of sparse field-aware features with a label,
// stored row after row (CSR) in column arrays so that an epoch walks memory
// in order and holds no per-row allocation. A feature takes 6 bytes (a
// 32-bit index and a 16-bit field) while every value is 1, the usual case
// for one-hot click data; the first other value adds a value column.
// Thread-safety: a value type; concurrent readers are fine.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::trainer {

// Fields are stored in 16 bits; the model allows at most 1024.
inline constexpr std::uint32_t kMaxDatasetFields = 1024;

class Dataset {
 public:
  // `label` is 1 for a click, 0 otherwise. Features of a field at or above
  // kMaxDatasetFields are refused (the readers check before adding).
  void AddRow(float label, std::span<const model::Feature> features);
  // Moves `other`'s rows after this set's (taking its storage when this
  // set is empty).
  void Append(Dataset&& other);
  // Moves rows [first, rows()) into a new set and keeps the rows before
  // them (the time-ordered tail of a training file as its validation set).
  Dataset SplitTail(std::size_t first);
  // Makes room for this many more rows and features without reallocating.
  void Reserve(std::size_t rows, std::size_t features);

  std::size_t rows() const { return labels_.size(); }
  float label(std::size_t row) const { return labels_[row]; }
  std::size_t row_begin(std::size_t row) const { return offsets_[row]; }
  std::size_t row_size(std::size_t row) const { return offsets_[row + 1] - offsets_[row]; }
  // Column access for the hot loops: feature j of the whole set.
  std::uint32_t index_at(std::size_t j) const { return indices_[j]; }
  std::uint32_t field_at(std::size_t j) const { return fields_[j]; }
  float value_at(std::size_t j) const { return values_.empty() ? 1.0f : values_[j]; }
  bool all_ones() const { return values_.empty(); }
  // Row `i` as raw column pointers (values: null while every value is 1).
  const std::uint32_t* indices(std::size_t i) const { return indices_.data() + offsets_[i]; }
  const std::uint16_t* fields(std::size_t i) const { return fields_.data() + offsets_[i]; }
  const float* values(std::size_t i) const {
    return values_.empty() ? nullptr : values_.data() + offsets_[i];
  }
  // Cache hints for a worker walking rows in a random order.
  void PrefetchOffset(std::size_t i) const { __builtin_prefetch(offsets_.data() + i); }
  void PrefetchRow(std::size_t i) const {
    __builtin_prefetch(labels_.data() + i);
    __builtin_prefetch(indices_.data() + offsets_[i]);
    __builtin_prefetch(fields_.data() + offsets_[i]);
  }
  // Row `i` as Feature structs in `*scratch` (cleared first).
  std::span<const model::Feature> Row(std::size_t i, std::vector<model::Feature>* scratch) const;

  // One past the largest field and feature index seen.
  std::uint32_t num_fields() const { return num_fields_; }
  std::uint32_t num_features() const { return num_features_; }
  std::size_t total_features() const { return indices_.size(); }
  // How often each feature index occurs (size num_features()).
  std::vector<std::uint32_t> FeatureCounts() const;
  // Adds this set's occurrences to `counts`, growing it as needed.
  void AddFeatureCounts(std::vector<std::uint32_t>* counts) const;

  // The binary cache (docs/formats/dataset-cache.md): the arrays as they
  // are in memory, keyed by the source file's size and CRC32C so that a
  // changed source is never read from a stale cache.
  struct SourceKey {
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
    friend bool operator==(const SourceKey&, const SourceKey&) = default;
  };
  [[nodiscard]] base::Status WriteCache(base::Env& env, const std::string& path,
                                        const SourceKey& key) const;
  // NotFound when the cache is missing or was made from another source;
  // Corruption when it is damaged (the caller then re-reads the source).
  [[nodiscard]] static base::Result<Dataset> ReadCache(base::Env& env, const std::string& path,
                                                       const SourceKey& key);

 private:
  std::vector<float> labels_;
  std::vector<std::uint64_t> offsets_{0};
  std::vector<std::uint32_t> indices_;
  std::vector<std::uint16_t> fields_;
  std::vector<float> values_;
  std::uint32_t num_fields_ = 0;
  std::uint32_t num_features_ = 0;
};

// The cache key of a file: its size and the CRC32C of its bytes.
[[nodiscard]] base::Result<Dataset::SourceKey> KeyOfFile(base::Env& env, const std::string& path);

}  // namespace promorec::trainer
