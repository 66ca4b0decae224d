#include "promorec/model/feature_dictionary.h"

#include "promorec/base/hash.h"

namespace promorec::model {

std::size_t FeatureDictionary::StringHash::operator()(std::string_view s) const {
  return static_cast<std::size_t>(base::Hash64(s));
}

FeatureDictionary::FeatureDictionary(std::vector<std::string> fields)
    : fields_(std::move(fields)), by_field_(fields_.size()), buckets_(fields_.size()) {}

std::optional<std::uint32_t> FeatureDictionary::FieldIndex(std::string_view name) const {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i] == name) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

std::uint32_t FeatureDictionary::Add(std::uint32_t field, std::string_view value) {
  auto& map = by_field_[field];
  if (auto it = map.find(value); it != map.end()) return it->second;
  const auto index = static_cast<std::uint32_t>(names_.size());
  map.emplace(std::string(value), index);
  names_.push_back(fields_[field] + "_" + std::string(value));
  fields_of_.push_back(field);
  return index;
}

std::optional<std::uint32_t> FeatureDictionary::Find(std::uint32_t field,
                                                     std::string_view value) const {
  if (field >= by_field_.size()) return std::nullopt;
  const auto& map = by_field_[field];
  if (auto it = map.find(value); it != map.end()) return it->second;
  const Buckets& b = buckets_[field];
  if (b.count == 0) return std::nullopt;
  return explicit_size() + b.offset +
         static_cast<std::uint32_t>(base::Hash64(value, field) % b.count);
}

void FeatureDictionary::SetHashedBuckets(std::uint32_t field, std::uint32_t buckets) {
  buckets_[field].count = buckets;
  total_buckets_ = 0;
  for (Buckets& b : buckets_) {
    b.offset = total_buckets_;
    total_buckets_ += b.count;
  }
}

base::Result<FeatureDictionary> FeatureDictionary::FromHeadersCsv(std::vector<std::string> fields,
                                                                  std::string_view text) {
  FeatureDictionary dictionary(std::move(fields));
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (text.find_first_not_of("\r\n", start) == std::string_view::npos) break;
      return base::InvalidArgument("headers.csv:" + std::to_string(line_number) +
                                   ": empty feature name");
    }
    // The longest field name followed by '_' owns the name.
    std::optional<std::uint32_t> field;
    std::size_t field_length = 0;
    for (std::size_t f = 0; f < dictionary.fields_.size(); ++f) {
      const std::string& name = dictionary.fields_[f];
      if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == '_' &&
          name.size() >= field_length) {
        field = static_cast<std::uint32_t>(f);
        field_length = name.size();
      }
    }
    if (!field) {
      return base::InvalidArgument("headers.csv:" + std::to_string(line_number) + ": '" +
                                   std::string(line) + "' starts with none of the model's fields");
    }
    const std::string_view value = line.substr(field_length + 1);
    if (dictionary.by_field_[*field].contains(value)) {
      return base::InvalidArgument("headers.csv:" + std::to_string(line_number) + ": '" +
                                   std::string(line) + "' appears twice");
    }
    dictionary.Add(*field, value);
  }
  return dictionary;
}

std::string FeatureDictionary::ToHeadersCsv() const {
  std::string out;
  for (const std::string& name : names_) {
    out += name;
    out += '\n';
  }
  return out;
}

}  // namespace promorec::model
