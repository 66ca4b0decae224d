// The feature dictionary: which index of the model's parameters a
// (field, value) pair uses, named `<field>_<value>` as in the original
// system's headers.csv (one name per line, the line number being the
// index). Values the dictionary does not know contribute nothing at
// inference, or, when a field has hashed buckets, fall into one of them.
// Thread-safety: lookups are const and safe from many threads; Add is not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "promorec/base/status.h"

namespace promorec::model {

class FeatureDictionary {
 public:
  // `fields` in model order; field i of a row is fields[i].
  explicit FeatureDictionary(std::vector<std::string> fields);

  // Reads headers.csv text: one `<field>_<value>` per line (a trailing
  // '\r' and blank lines at the end are ignored). Each name's field is the
  // known field it starts with; a name of no known field is an error naming
  // its line.
  [[nodiscard]] static base::Result<FeatureDictionary> FromHeadersCsv(
      std::vector<std::string> fields, std::string_view text);
  // headers.csv text for the explicit entries, in index order.
  std::string ToHeadersCsv() const;

  const std::vector<std::string>& fields() const { return fields_; }
  std::optional<std::uint32_t> FieldIndex(std::string_view name) const;

  // The index of (field, value), adding it when new.
  std::uint32_t Add(std::uint32_t field, std::string_view value);
  // The index of (field, value): its own entry, else a hashed bucket of the
  // field when it has buckets, else nothing.
  std::optional<std::uint32_t> Find(std::uint32_t field, std::string_view value) const;

  // Gives `field` `buckets` hashed indexes. Buckets always come after every
  // explicit entry (in field order), so their indexes move while entries are
  // added: build the whole dictionary before sizing a model from it.
  void SetHashedBuckets(std::uint32_t field, std::uint32_t buckets);

  std::uint32_t buckets(std::uint32_t field) const { return buckets_[field].count; }
  // The field of an explicit index.
  std::uint32_t field_of(std::uint32_t index) const { return fields_of_[index]; }

  // Explicit entries plus hashed buckets: the model's feature count.
  std::uint32_t size() const { return explicit_size() + total_buckets_; }
  std::uint32_t explicit_size() const { return static_cast<std::uint32_t>(names_.size()); }
  // `<field>_<value>` of an explicit index.
  const std::string& name(std::uint32_t index) const { return names_[index]; }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const;
  };
  struct Buckets {
    std::uint32_t offset = 0;  // from the end of the explicit entries
    std::uint32_t count = 0;
  };

  std::vector<std::string> fields_;
  std::vector<std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>>
      by_field_;
  std::vector<Buckets> buckets_;
  std::vector<std::string> names_;  // explicit entries by index
  std::vector<std::uint32_t> fields_of_;
  std::uint32_t total_buckets_ = 0;
};

}  // namespace promorec::model
