#include "promorec/model/model_file.h"

#include <cstdio>
#include <cstring>

#include "promorec/base/crc32c.h"
#include "promorec/base/json_string.h"
#include "promorec/model/ffm_kernel.h"

namespace promorec::model {
namespace {

constexpr std::string_view kMagic = "PROMOFFM";
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kFixedBytes = 32;

enum Section : std::uint32_t {
  kFields = 1,
  kDictionary = 2,
  kBuckets = 3,
  kHyper = 4,
  kTraining = 5,
  kParameters = 6,
  kOptimiser = 7,
  kCounts = 8,
};

template <typename T>
void Put(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

void PutFloats(std::string* out, const float* data, std::size_t n) {
  out->append(reinterpret_cast<const char*>(data), n * sizeof(float));
}

std::string KeyValues(const std::map<std::string, std::string>& map) {
  std::string out;
  for (const auto& [key, value] : map) out += key + "=" + value + "\n";
  return out;
}

// Reads fixed-size values from a section, failing once it runs out.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view what) : bytes_(bytes), what_(what) {}
  template <typename T>
  bool Get(T* value) {
    if (bytes_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Bytes(std::size_t n, std::string_view* out) {
    if (bytes_.size() - pos_ < n) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  std::unexpected<base::Error> Short() const {
    return base::Corruption("model.bin: " + std::string(what_) + " section is cut short");
  }

 private:
  std::string_view bytes_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

std::map<std::string, std::string> ParseKeyValues(std::string_view text) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return out;
}

}  // namespace

std::string EncodeModel(const ModelFile& model, bool with_optimiser) {
  const FfmShape& shape = model.params.shape();
  const FeatureDictionary& dict = model.dictionary;
  std::vector<std::pair<std::uint32_t, std::string>> sections;
  std::string fields;
  for (const std::string& f : dict.fields()) {
    Put<std::uint16_t>(&fields, static_cast<std::uint16_t>(f.size()));
    fields += f;
  }
  sections.emplace_back(kFields, std::move(fields));
  std::string entries;
  Put<std::uint32_t>(&entries, dict.explicit_size());
  for (std::uint32_t i = 0; i < dict.explicit_size(); ++i) {
    const std::string& name = dict.name(i);
    const std::uint32_t field = dict.field_of(i);
    const std::string_view value = std::string_view(name).substr(dict.fields()[field].size() + 1);
    Put<std::uint32_t>(&entries, field);
    Put<std::uint16_t>(&entries, static_cast<std::uint16_t>(value.size()));
    entries += value;
  }
  sections.emplace_back(kDictionary, std::move(entries));
  std::string buckets;
  for (std::uint32_t f = 0; f < dict.fields().size(); ++f)
    Put<std::uint32_t>(&buckets, dict.buckets(f));
  sections.emplace_back(kBuckets, std::move(buckets));
  sections.emplace_back(kHyper, KeyValues(model.hyper));
  sections.emplace_back(kTraining, KeyValues(model.training));
  std::string parameters;
  Put<float>(&parameters, model.params.bias());
  PutFloats(&parameters, model.params.linear().data(), model.params.linear().size());
  PutFloats(&parameters, model.params.latent().data(), model.params.latent().size());
  sections.emplace_back(kParameters, std::move(parameters));
  const bool optimiser = with_optimiser && model.optimiser.has_value();
  if (optimiser) {
    std::string state;
    PutFloats(&state, model.optimiser->data(), model.optimiser->size());
    sections.emplace_back(kOptimiser, std::move(state));
  }
  if (!model.counts.empty()) {
    std::string counts;
    for (const std::uint32_t c : model.counts) Put<std::uint32_t>(&counts, c);
    sections.emplace_back(kCounts, std::move(counts));
  }

  std::string out(kMagic);
  Put<std::uint32_t>(&out, kVersion);
  out.push_back(static_cast<char>(shape.type));
  out.push_back(static_cast<char>(model.loss));
  out.push_back(static_cast<char>((optimiser ? 1 : 0) | (model.instance_normalisation ? 2 : 0)));
  out.push_back('\0');
  Put<std::uint32_t>(&out, shape.num_features);
  Put<std::uint32_t>(&out, shape.num_fields);
  Put<std::uint32_t>(&out, shape.k);
  Put<std::uint32_t>(&out, static_cast<std::uint32_t>(sections.size()));
  for (const auto& [id, bytes] : sections) {
    Put<std::uint32_t>(&out, id);
    Put<std::uint32_t>(&out, 0);
    Put<std::uint64_t>(&out, bytes.size());
  }
  for (const auto& [id, bytes] : sections) {
    out += bytes;
    out.append((32 - bytes.size() % 32) % 32, '\0');
  }
  Put<std::uint32_t>(&out, base::Crc32cMask(base::Crc32c(out)));
  return out;
}

float ServedScore(Loss loss, float logit) {
  return loss == Loss::kSquared ? logit : Sigmoid(logit);
}

std::string ModelVersion(std::string_view bytes) {
  std::uint32_t stored_crc = 0;
  if (bytes.size() >= 4) std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(base::Crc32cUnmask(stored_crc)));
  return hex;
}

base::Result<ModelFile> DecodeModel(std::string_view bytes, bool with_training_state) {
  if (bytes.size() < kFixedBytes + 4) return base::Corruption("model.bin is too short");
  if (bytes.substr(0, 8) != kMagic) return base::Corruption("model.bin has a bad magic number");
  Reader header(bytes.substr(8, kFixedBytes - 8), "header");
  std::uint32_t version = 0;
  std::uint8_t type = 0, loss = 0, flags = 0, zero = 0;
  std::uint32_t n = 0, m = 0, k = 0, count = 0;
  header.Get(&version);
  header.Get(&type);
  header.Get(&loss);
  header.Get(&flags);
  header.Get(&zero);
  header.Get(&n);
  header.Get(&m);
  header.Get(&k);
  header.Get(&count);
  if (version != kVersion) {
    return base::Corruption("model.bin format version " + std::to_string(version) +
                            "; this build reads version " + std::to_string(kVersion));
  }
  std::uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
  if (base::Crc32cUnmask(stored_crc) != base::Crc32c(bytes.substr(0, bytes.size() - 4))) {
    return base::Corruption("model.bin checksum mismatch (damaged or incomplete file)");
  }
  if (type > 1) return base::Corruption("model.bin has unknown model type " + std::to_string(type));
  if (loss > 1) return base::Corruption("model.bin has unknown loss " + std::to_string(loss));
  const FfmShape shape{static_cast<ModelType>(type), n, m, k};
  if (auto valid = shape.Validate(); !valid) {
    return base::Corruption("model.bin: " + valid.error().message());
  }
  if (count > 64 || kFixedBytes + 16ull * count + 4 > bytes.size()) {
    return base::Corruption("model.bin section table runs past the file");
  }
  std::map<std::uint32_t, std::string_view> sections;
  std::size_t offset = kFixedBytes + 16ull * count;
  Reader table(bytes.substr(kFixedBytes, 16ull * count), "table");
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t id = 0, pad = 0;
    std::uint64_t length = 0;
    table.Get(&id);
    table.Get(&pad);
    table.Get(&length);
    if (length > bytes.size() - 4 - offset) {
      return base::Corruption("model.bin section " + std::to_string(id) + " runs past the file");
    }
    sections[id] = bytes.substr(offset, length);
    offset += length + (32 - length % 32) % 32;
  }
  for (const std::uint32_t required : {kFields, kDictionary, kBuckets, kParameters}) {
    if (!sections.contains(required)) {
      return base::Corruption("model.bin lacks section " + std::to_string(required));
    }
  }
  std::vector<std::string> fields;
  Reader field_reader(sections[kFields], "fields");
  for (std::uint32_t f = 0; f < m; ++f) {
    std::uint16_t length = 0;
    std::string_view name;
    if (!field_reader.Get(&length) || !field_reader.Bytes(length, &name))
      return field_reader.Short();
    fields.emplace_back(name);
  }
  FeatureDictionary dictionary(std::move(fields));
  Reader entries(sections[kDictionary], "dictionary");
  std::uint32_t entry_count = 0;
  if (!entries.Get(&entry_count)) return entries.Short();
  for (std::uint32_t i = 0; i < entry_count; ++i) {
    std::uint32_t field = 0;
    std::uint16_t length = 0;
    std::string_view value;
    if (!entries.Get(&field) || !entries.Get(&length) || !entries.Bytes(length, &value)) {
      return entries.Short();
    }
    if (field >= m)
      return base::Corruption("model.bin dictionary entry names field " + std::to_string(field));
    if (dictionary.Add(field, value) != i) {
      return base::Corruption("model.bin dictionary entry " + std::to_string(i) +
                              " is a duplicate");
    }
  }
  Reader bucket_reader(sections[kBuckets], "buckets");
  for (std::uint32_t f = 0; f < m; ++f) {
    std::uint32_t buckets = 0;
    if (!bucket_reader.Get(&buckets)) return bucket_reader.Short();
    if (buckets > 0) dictionary.SetHashedBuckets(f, buckets);
  }
  if (dictionary.size() != n) {
    return base::Corruption("model.bin dictionary has " + std::to_string(dictionary.size()) +
                            " features, the header says " + std::to_string(n));
  }
  PROMOREC_ASSIGN_OR_RETURN(FfmParams params, FfmParams::Zeros(shape));
  const std::size_t floats = 1 + params.linear().size() + params.latent().size();
  const std::string_view raw = sections[kParameters];
  if (raw.size() != floats * sizeof(float)) {
    return base::Corruption("model.bin parameters section has " + std::to_string(raw.size()) +
                            " bytes, the shape needs " + std::to_string(floats * sizeof(float)));
  }
  std::memcpy(&params.bias(), raw.data(), sizeof(float));
  std::memcpy(params.linear().data(), raw.data() + sizeof(float), params.linear().size_bytes());
  std::memcpy(params.latent().data(), raw.data() + sizeof(float) + params.linear().size_bytes(),
              params.latent().size_bytes());
  ModelFile model{std::move(params),
                  std::move(dictionary),
                  static_cast<Loss>(loss),
                  (flags & 2) != 0,
                  std::nullopt,
                  ParseKeyValues(sections.contains(kHyper) ? sections[kHyper] : ""),
                  ParseKeyValues(sections.contains(kTraining) ? sections[kTraining] : ""),
                  {}};
  if ((flags & 1) != 0) {
    if (!sections.contains(kOptimiser) || sections[kOptimiser].size() != raw.size()) {
      return base::Corruption("model.bin optimiser section is missing or the wrong size");
    }
    if (with_training_state) {
      model.optimiser.emplace(floats);
      std::memcpy(model.optimiser->data(), sections[kOptimiser].data(), raw.size());
    }
  }
  if (sections.contains(kCounts)) {
    if (sections[kCounts].size() != static_cast<std::size_t>(n) * sizeof(std::uint32_t)) {
      return base::Corruption("model.bin counts section has " +
                              std::to_string(sections[kCounts].size()) + " bytes, expected " +
                              std::to_string(static_cast<std::size_t>(n) * 4));
    }
    if (!with_training_state) return model;
    model.counts.resize(n);
    std::memcpy(model.counts.data(), sections[kCounts].data(), sections[kCounts].size());
  }
  return model;
}

std::string MetaJson(const ModelFile& model, bool with_optimiser) {
  const FfmShape& shape = model.params.shape();
  std::string out = "{\"format_version\":" + std::to_string(kVersion) + ",\"model_type\":";
  out += shape.type == ModelType::kFfm ? "\"ffm\"" : "\"fm\"";
  out += ",\"loss\":";
  out += model.loss == Loss::kLogistic ? "\"logistic\"" : "\"squared\"";
  out += ",\"features\":" + std::to_string(shape.num_features) +
         ",\"dictionary_entries\":" + std::to_string(model.dictionary.explicit_size()) +
         ",\"k\":" + std::to_string(shape.k) + ",\"fields\":[";
  for (std::size_t i = 0; i < model.dictionary.fields().size(); ++i) {
    if (i > 0) out += ',';
    base::AppendJsonString(model.dictionary.fields()[i], &out);
  }
  out += "],\"instance_normalisation\":";
  out += model.instance_normalisation ? "true" : "false";
  out += ",\"optimiser_state\":";
  out += with_optimiser && model.optimiser ? "true" : "false";
  for (const auto& [name, map] :
       {std::pair{"hyper", &model.hyper}, {"training", &model.training}}) {
    out += ",\"";
    out += name;
    out += "\":{";
    bool first = true;
    for (const auto& [key, value] : *map) {
      if (!first) out += ',';
      first = false;
      base::AppendJsonString(key, &out);
      out += ':';
      base::AppendJsonString(value, &out);
    }
    out += '}';
  }
  return out + "}\n";
}

base::Status WriteModel(base::Env& env, const std::string& dir, const ModelFile& model,
                        bool with_optimiser) {
  PROMOREC_RETURN_IF_ERROR(env.CreateDirs(dir));
  PROMOREC_RETURN_IF_ERROR(
      base::WriteFileAtomically(env, dir + "/model.bin", EncodeModel(model, with_optimiser)));
  PROMOREC_RETURN_IF_ERROR(
      base::WriteFileAtomically(env, dir + "/headers.csv", model.dictionary.ToHeadersCsv()));
  return base::WriteFileAtomically(env, dir + "/meta.json", MetaJson(model, with_optimiser));
}

base::Result<ModelFile> ReadModel(base::Env& env, const std::string& dir) {
  PROMOREC_ASSIGN_OR_RETURN(const std::string bytes,
                            base::ReadFileToString(env, dir + "/model.bin"));
  auto model = DecodeModel(bytes);
  if (!model) return std::unexpected(model.error().WithContext(dir + "/model.bin"));
  return model;
}

}  // namespace promorec::model
