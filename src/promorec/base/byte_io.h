// Little-endian fixed-width integers and length-prefixed byte strings, for
// the file formats and saved states of every module, and a reader over
// them that reports running out instead of reading past the end.
// Thread-safety: pure functions; a ByteReader is a value.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace promorec::base {

inline void PutFixed32(std::string* out, std::uint32_t value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  out->append(bytes, 4);
}

inline void PutFixed64(std::string* out, std::uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out->append(bytes, 8);
}

inline std::uint32_t GetFixed32(const char* p) {
  std::uint32_t value;
  std::memcpy(&value, p, 4);
  return value;
}

inline std::uint64_t GetFixed64(const char* p) {
  std::uint64_t value;
  std::memcpy(&value, p, 8);
  return value;
}

// A 64-bit length, then the bytes.
inline void PutLengthPrefixed(std::string* out, std::string_view bytes) {
  PutFixed64(out, bytes.size());
  out->append(bytes);
}

// PutLengthPrefixed for bytes written straight into `out` (no copy):
// Begin leaves room for the length and returns where; End fills it in
// with the bytes written since.
inline std::size_t BeginLengthPrefixed(std::string* out) {
  const std::size_t at = out->size();
  PutFixed64(out, 0);
  return at;
}
inline void EndLengthPrefixed(std::string* out, std::size_t at) {
  const std::uint64_t length = out->size() - at - 8;
  std::memcpy(out->data() + at, &length, 8);
}

// Reads what the Put functions wrote; each call is false (and reads
// nothing) when the data ends first.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool Fixed32(std::uint32_t* value) {
    if (data_.size() < 4) return false;
    *value = GetFixed32(data_.data());
    data_.remove_prefix(4);
    return true;
  }
  bool Fixed64(std::uint64_t* value) {
    if (data_.size() < 8) return false;
    *value = GetFixed64(data_.data());
    data_.remove_prefix(8);
    return true;
  }
  bool Signed64(std::int64_t* value) {
    std::uint64_t bits = 0;
    if (!Fixed64(&bits)) return false;
    *value = static_cast<std::int64_t>(bits);
    return true;
  }
  // A length-prefixed byte string, as a view into the data.
  bool LengthPrefixed(std::string_view* bytes) {
    std::uint64_t size = 0;
    if (data_.size() < 8 || GetFixed64(data_.data()) > data_.size() - 8) return false;
    (void)Fixed64(&size);
    *bytes = data_.substr(0, size);
    data_.remove_prefix(size);
    return true;
  }
  bool LengthPrefixed(std::string* bytes) {
    std::string_view view;
    if (!LengthPrefixed(&view)) return false;
    bytes->assign(view);
    return true;
  }

  std::string_view rest() const { return data_; }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

}  // namespace promorec::base
